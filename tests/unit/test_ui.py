"""The web UI through Flask's test client: pages, forms, auth, CSRF, headers."""

from __future__ import annotations

import base64
import os
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.services import KEY
from tests.helpers import chart_yaml
from tests.helpers import make_chart
from tests.helpers import make_prov
from tests.helpers import make_tgz
from tests.unit.test_auth import grant
from tests.unit.test_auth import token

CREDENTIALS = {"Authorization": "Basic " + base64.b64encode(b"user:pass").decode()}
BASIC = {"basic_auth_user": "user", "basic_auth_pass": "pass"}


def rich_chart(name: str = "webapp", version: str = "1.0.0", readme: str = "", **extra) -> bytes:
    """A chart with a README, values, templates, keywords and a maintainer."""
    meta = chart_yaml(name, version, description=f"{name} serves the web", appVersion="2.4.1",
                      home=f"https://example.com/{name}", **extra)  # fmt: skip
    meta += "keywords:\n  - web\n  - frontend\nmaintainers:\n  - name: Jane\n    email: j@x.io\n"
    files = {
        "Chart.yaml": meta,
        "values.yaml": "# defaults\nreplicaCount: 2\n",
        "templates/deployment.yaml": "kind: Deployment\n",
        "README.md": readme or f"# {name}\n\nThe **{name}** chart.\n",
    }
    return make_tgz(files, top=name)


def token_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "no form on the page"
    return found.group(1).decode()


def upload(client, url: str, token: str | None, headers=None, **files: bytes):
    data: dict = {k: (_io(v), f"{k}.bin") for k, v in files.items()}
    if token is not None:
        data["csrf_token"] = token
    return client.post(url, data=data, content_type="multipart/form-data", headers=headers)


def _io(data: bytes):
    import io

    return io.BytesIO(data)


# -- pages ------------------------------------------------------------------------------------
def test_repository_page_lists_charts_with_their_latest_version(client) -> None:
    for version in ("0.1.0", "1.0.0", "2.0.0-rc.1"):
        assert client.post("/api/charts", data=rich_chart(version=version)).status_code == 201
    page = client.get("/")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'href="/.chart/webapp"' in html
    assert '<span class="version">1.0.0</span>' in html  # the latest release, not the rc
    assert "webapp serves the web" in html and "App 2.4.1" in html
    assert ">frontend</a>" in html and "3 versions" in html


def test_chart_page_shows_readme_values_templates_and_versions(client) -> None:
    readme = "# Web\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    client.post("/api/charts", data=rich_chart(version="0.1.0", readme=readme))
    client.post("/api/charts", data=rich_chart(version="1.0.0", readme=readme))
    client.post("/api/prov", data=make_prov("webapp", "1.0.0"))
    html = client.get("/.chart/webapp").data.decode()
    assert "<h1>Web</h1>" in html and "<td>1</td>" in html and "alert(1)" not in html
    assert '<span class="nt">replicaCount</span>' in html
    assert "templates/deployment.yaml" in html
    assert "helm repo add chartmuseum http://localhost" in html
    assert "helm install my-webapp chartmuseum/webapp --version 1.0.0" in html
    assert "helm pull oci://localhost/webapp --version 1.0.0" in html
    assert 'href="http://localhost/charts/webapp-1.0.0.tgz.prov">signed (.prov)' in html
    assert 'href="/.chart/webapp?version=0.1.0"' in html
    older = client.get("/.chart/webapp?version=0.1.0").data.decode()
    assert '<option value="0.1.0" selected>' in older
    assert "--version 0.1.0" in older
    assert "--version 0.1.0" in client.get("/.chart/webapp?version=^0.1").data.decode()


def test_chart_page_errors_are_pages(client) -> None:
    client.post("/api/charts", data=rich_chart())
    missing = client.get("/.chart/nothing")
    assert missing.status_code == 404 and missing.content_type == "text/html; charset=utf-8"
    assert "no chart name found" in missing.data.decode()
    version = client.get("/.chart/webapp?version=9.9.9")
    assert version.status_code == 404
    assert "no chart version found for webapp-9.9.9" in version.data.decode()
    assert "Content-Security-Policy" in version.headers


def test_no_oci_command_without_the_registry(make_app) -> None:
    client = make_app(disable_oci=True).test_client()
    client.post("/api/charts", data=rich_chart())
    html = client.get("/.chart/webapp").data.decode()
    assert "helm repo add" in html and "oci://" not in html


def test_dependencies_on_this_server_are_linked(make_app) -> None:
    client = make_app(depth=1).test_client()
    assert client.post("/api/db/charts", data=rich_chart("redis", "7.0.1")).status_code == 201
    deps = (
        "dependencies:\n"
        "  - name: redis\n    version: ~7.0.0\n    repository: http://localhost/db\n"
        "  - name: other\n    version: 1.0.0\n    repository: https://charts.example.com\n"
    )
    meta = chart_yaml("app", "1.0.0") + deps
    package = make_tgz({"Chart.yaml": meta, "values.yaml": ""}, top="app")
    assert client.post("/api/web/charts", data=package).status_code == 201
    html = client.get("/.chart/web/app").data.decode()
    assert 'href="/.chart/db/redis?version=~7.0.0">redis</a>' in html
    assert "<li>other" in html and 'href="https://charts.example.com' not in html


# -- search, sort, pages ------------------------------------------------------------------------
def test_search_sort_and_pagination(make_app, storage) -> None:
    for i in range(61):
        extra = {"description": f"the chart number {i}"}
        if i % 10 == 0 and i < 60:
            extra["description"] = f"a database chart {i}"
        name = f"c{i:02d}" if i < 60 else "zz"
        package = make_tgz({"Chart.yaml": chart_yaml(name, "1.0.0", **extra)}, top="c")
        path = os.path.join(storage, f"{name}-1.0.0.tgz")
        with open(path, "wb") as fh:
            fh.write(package)
        when = 1_700_000_000 + (10_000 if name == "c07" else i)  # c07 is the newest
        os.utime(path, (when, when))
    client = make_app().test_client()
    first = client.get("/").data.decode()
    assert "61 charts" in first and "page 1 of 3" in first
    assert first.index(">c00<") < first.index(">c24<") and ">c25<" not in first
    second = client.get("/?page=2").data.decode()
    assert ">c25<" in second and ">c24<" not in second
    last = client.get("/?page=99").data.decode()
    assert "page 3 of 3" in last and ">zz<" in last
    found = client.get("/?q=DATABASE").data.decode()
    assert "6 charts" in found and ">c10<" in found and ">c11<" not in found
    narrowed = client.get("/?q=database+chart+3").data.decode()  # every word must match
    assert "1 chart " in narrowed and ">c30<" in narrowed
    by_update = client.get("/?sort=updated").data.decode()
    assert by_update.index(">c07<") < by_update.index(">zz<") < by_update.index(">c59<")
    assert ">c00<" not in by_update
    assert "page=2" in client.get("/?sort=updated&q=chart").data.decode()
    assert client.get("/?page=-1&sort=nonsense&q=" + "x" * 500).status_code == 200


def test_listing_follows_changes(client) -> None:
    assert "0 charts" in client.get("/").data.decode()
    client.post("/api/charts", data=make_chart("one", "1.0.0"))
    assert ">one<" in client.get("/").data.decode()
    client.post("/api/charts", data=make_chart("one", "2.0.0"))
    assert '<span class="version">2.0.0</span>' in client.get("/").data.decode()
    client.delete("/api/charts/one/2.0.0")
    client.delete("/api/charts/one/1.0.0")
    assert ">one<" not in client.get("/").data.decode()


# -- forms -----------------------------------------------------------------------------------------
def test_upload_and_delete_through_the_forms(client) -> None:
    tok = token_of(client.get("/").data)
    done = upload(client, "/.upload", tok, chart=rich_chart(), prov=make_prov("webapp", "1.0.0"))
    assert done.status_code == 303 and done.headers["Location"] == "/.chart/webapp?version=1.0.0"
    page = client.get(done.headers["Location"]).data.decode()
    assert "Uploaded webapp 1.0.0 with its provenance file." in page
    assert "signed (.prov)" in page
    again = upload(client, "/.upload", tok, chart=rich_chart())
    assert again.status_code == 409 and "chart already exists" in again.data.decode()
    assert "Content-Security-Policy" in again.headers
    forced = client.post(
        "/.upload",
        data={"csrf_token": tok, "force": "1", "chart": (_io(rich_chart()), "x.tgz")},
        content_type="multipart/form-data",
    )
    assert forced.status_code == 303
    bad = upload(client, "/.upload", tok, chart=b"not a chart")
    assert bad.status_code == 400 and "gzip: invalid header" in bad.data.decode()
    empty = upload(client, "/.upload", tok)
    assert "no package or provenance file found" in empty.data.decode()
    gone = client.post("/.delete/webapp/1.0.0", data={"csrf_token": tok})
    assert gone.status_code == 303 and gone.headers["Location"] == "/"
    assert "Deleted webapp 1.0.0." in client.get("/").data.decode()
    assert client.get("/api/charts/webapp").status_code == 404
    twice = client.post("/.delete/webapp/1.0.0", data={"csrf_token": tok})
    assert twice.status_code == 404 and "no such file or directory" in twice.data.decode()


def test_forms_need_the_session_token(client, make_app) -> None:
    tok = token_of(client.get("/").data)
    assert upload(client, "/.upload", None, chart=rich_chart()).status_code == 400
    assert upload(client, "/.upload", "forged", chart=rich_chart()).status_code == 400
    client.post("/api/charts", data=rich_chart())
    assert client.post("/.delete/webapp/1.0.0").status_code == 400
    other = make_app().test_client()  # the same key, but another session
    refused = upload(other, "/.upload", tok, chart=make_chart("x", "1.0.0"))
    assert refused.status_code == 400
    assert "The CSRF session token is missing." in refused.data.decode()
    assert client.get("/api/charts/x").status_code == 404
    assert client.get("/api/charts/webapp").status_code == 200


def test_no_forms_without_the_api_or_delete(make_app) -> None:
    no_api = make_app(disable_api=True).test_client()
    assert b"csrf_token" not in no_api.get("/").data
    assert no_api.post("/.upload").status_code in (404, 405)
    no_delete = make_app(disable_delete=True).test_client()
    no_delete.post("/api/charts", data=rich_chart())
    page = no_delete.get("/.chart/webapp").data
    assert b"Delete" not in page and b"Upload a chart" in no_delete.get("/").data
    assert no_delete.post("/.delete/webapp/1.0.0").status_code in (404, 405)


# -- auth ------------------------------------------------------------------------------------------
def test_basic_auth_guards_pages_and_forms(make_app) -> None:
    client = make_app(**BASIC).test_client()
    for path in ("/", "/.chart/x"):
        denied = client.get(path)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"]
        assert "Content-Security-Policy" in denied.headers
    assert client.post("/.upload").status_code == 401
    page = client.get("/", headers=CREDENTIALS)
    assert page.status_code == 200 and b"Upload a chart" in page.data
    tok = token_of(page.data)
    done = upload(client, "/.upload", tok, headers=CREDENTIALS, chart=rich_chart())
    assert done.status_code == 303
    assert upload(client, "/.upload", tok, chart=rich_chart()).status_code == 401


def test_anonymous_readers_get_no_forms(make_app) -> None:
    client = make_app(**BASIC, auth_anonymous_get=True).test_client()
    page = client.get("/")
    assert page.status_code == 200 and b"Upload a chart" not in page.data
    assert b"Upload a chart" in client.get("/", headers=CREDENTIALS).data
    assert client.post("/.upload").status_code == 401


@pytest.fixture
def bearer(make_app, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "issuer.pem").write_bytes(pem)
    app = make_app(
        depth=1,
        bearer_auth=True,
        auth_realm="https://auth",
        auth_service="cm",
        auth_cert_path=str(tmp_path / "issuer.pem"),
    )
    admin = {"Authorization": "Bearer " + token(key, grant("org1", "pull", "push") +
                                                 grant("org2", "pull", "push"))}  # fmt: skip
    client = app.test_client()
    for tenant, name in (("org1", "alpha"), ("org2", "secret")):
        package = rich_chart(name, "1.0.0")
        assert client.post(f"/api/{tenant}/charts", data=package, headers=admin).status_code == 201

    def headers(*grants) -> dict[str, str]:
        return {"Authorization": "Bearer " + token(key, [g for gs in grants for g in gs])}

    return client, headers


def test_no_page_shows_another_tenants_charts(bearer) -> None:
    client, headers = bearer
    org1 = headers(grant("org1", "pull"))
    home = client.get("/", headers=org1).data.decode()
    assert 'href="/org1/"' in home and "org2" not in home
    page = client.get("/org1/?q=secret", headers=org1).data.decode()
    assert "0 charts" in page and "/.chart/org2" not in page and "secret serves" not in page
    assert client.get("/org2/", headers=org1).status_code == 401
    assert client.get("/.chart/org2/secret", headers=org1).status_code == 401
    assert client.get("/.chart/org1/alpha", headers=org1).status_code == 200
    assert client.get("/", headers=headers()).status_code == 200  # valid token, no grants
    assert "org1" not in client.get("/", headers=headers()).data.decode().split("<main")[1]
    assert client.get("/").status_code == 401


def test_push_grant_decides_the_forms(bearer) -> None:
    client, headers = bearer
    pull = headers(grant("org1", "pull"))
    page = client.get("/org1/", headers=pull)
    assert (
        b"Upload a chart" not in page.data
        and b"Delete" not in client.get("/.chart/org1/alpha", headers=pull).data
    )
    assert client.post("/.upload/org1", headers=pull).status_code == 401
    push = headers(grant("org1", "pull", "push"))
    page = client.get("/org1/", headers=push)
    assert b"Upload a chart" in page.data
    tok = token_of(page.data)
    done = client.post("/.delete/org1/alpha/1.0.0", data={"csrf_token": tok}, headers=push)
    assert done.status_code == 303
    other = client.post("/.delete/org2/secret/1.0.0", data={"csrf_token": tok}, headers=push)
    assert other.status_code == 401


# -- headers, sessions, keys -------------------------------------------------------------------------
def test_every_page_has_a_content_security_policy(client) -> None:
    client.post("/api/charts", data=rich_chart())
    for path in ("/", "/?q=x", "/.chart/webapp", "/.chart/nothing", "/.static/ui.css"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_cached_when_versioned(client) -> None:
    html = client.get("/").data.decode()
    url = re.search(r'href="(/\.static/ui\.css\?v=\w+)"', html).group(1)
    versioned = client.get(url)
    assert versioned.status_code == 200 and "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]
    plain = client.get("/.static/ui.css")
    assert "immutable" not in plain.headers["Cache-Control"]
    assert client.get("/.static/../app.py").status_code == 404


def test_only_the_ui_sets_a_session_cookie(client) -> None:
    client.post("/api/charts", data=make_chart())
    for path in ("/index.yaml", "/api/charts", "/charts/mychart-0.1.0.tgz", "/health"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary, path
    assert "Set-Cookie" in client.get("/").headers  # the upload form's token
    cookie = client.get_cookie("chartmuseum_ui")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_the_secret_key_is_shared_through_the_cache_folder(make_app, tmp_path) -> None:
    first, second = make_app(), make_app()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    cache_dir = first.extensions[KEY].repository.engine.settings.cache_dir
    with open(os.path.join(cache_dir, "web-secret-key"), "rb") as fh:
        assert fh.read() == first.secret_key
    client = first.test_client()
    tok = token_of(client.get("/").data)
    served_by_second = second.test_client()
    served_by_second.set_cookie("chartmuseum_ui", client.get_cookie("chartmuseum_ui").value)
    done = upload(served_by_second, "/.upload", tok, chart=make_chart())
    assert done.status_code == 303
    assert make_app(web_secret_key="configured").secret_key == b"configured"


def test_the_secret_key_is_shared_through_redis(make_app, tmp_path, redis_server) -> None:
    options = {"cache": "redis", "cache_redis_addr": redis_server.addr}
    first = make_app(cache_dir=str(tmp_path / "a"), **options)
    second = make_app(cache_dir=str(tmp_path / "b"), **options)
    assert first.secret_key == second.secret_key
    assert not os.path.exists(tmp_path / "a" / "web-secret-key")


# -- layout options -----------------------------------------------------------------------------------
def test_context_path_and_depth(make_app) -> None:
    client = make_app(context_path="/cm", depth=2).test_client()
    assert client.post("/cm/api/org/team/charts", data=rich_chart()).status_code == 201
    home = client.get("/cm").data.decode()
    assert 'href="/cm/org/team/"' in home and "1 chart, 1 version" in home
    page = client.get("/cm/org/team/").data.decode()
    assert 'href="/cm/.chart/org/team/webapp"' in page
    assert 'action="/cm/.upload/org/team"' in page
    chart = client.get("/cm/.chart/org/team/webapp").data.decode()
    assert "helm repo add org-team http://localhost/cm/org/team" in chart
    assert "helm pull oci://localhost/org/team/webapp --version 1.0.0" in chart
    assert 'href="/cm/.static/ui.css?v=' in chart
    assert client.get("/.chart/org/team/webapp").status_code == 404  # outside the context path
    assert client.get("/cm/org/").status_code == 404  # not a tenant at depth 2


def test_depth_dynamic_lists_tenants_and_root_charts(make_app) -> None:
    client = make_app(depth_dynamic=True).test_client()
    client.post("/api/charts", data=rich_chart("rootchart"))
    client.post("/api/a/charts", data=rich_chart("top"))
    client.post("/api/a/b/charts", data=rich_chart("deep"))
    home = client.get("/").data.decode()
    assert ">rootchart<" in home and 'href="/a/"' in home and 'href="/a/b/"' in home
    tenant = client.get("/a/").data.decode()
    assert ">top<" in tenant and 'href="/a/b/"' in tenant and ">deep<" not in tenant
    deep = client.get("/a/b/").data.decode()
    assert 'href="/.chart/a/b/deep"' in deep and 'href="/a/"' in deep  # breadcrumb
    assert client.get("/.chart/a/b/deep").status_code == 200
    assert client.get("/.chart/a/deep").status_code == 404
    assert client.get("/.hidden/").status_code == 400


def test_web_template_path_still_replaces_the_page(make_app, tmp_path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<h1>Our charts</h1>")
    client = make_app(web_template_path=str(tmp_path / "web"), depth=1).test_client()
    client.post("/api/org/charts", data=rich_chart())
    assert client.get("/").data == b"<h1>Our charts</h1>"
    assert client.get("/org/").data == b"<h1>Our charts</h1>"
    assert client.get("/.chart/org/webapp").status_code == 200  # chart pages stay


def test_provenance_status_from_a_listing_off_local_storage(client, monkeypatch) -> None:
    client.post("/api/charts", data=rich_chart(version="0.1.0"))
    client.post("/api/charts", data=rich_chart(version="1.0.0"))
    client.post("/api/prov", data=make_prov("webapp", "1.0.0"))
    backend = client.application.extensions[KEY].repository.backend
    monkeypatch.setattr(backend, "local_file", lambda path: None)  # as an object store
    html = client.get("/.chart/webapp").data.decode()
    assert html.count("signed (.prov)") == 1 and html.count('<span class="muted">none</span>') == 1


def test_commands_are_safe_to_paste() -> None:
    from app.ui.pages import commands

    odd = commands("http://h/o%20x", "h", "o x", "My_Chart", "1.0.0+b", oci=True)
    assert odd.repo_add == "helm repo add 'o x' http://h/o%20x"
    assert odd.install == "helm install my-my-chart 'o x'/My_Chart --version 1.0.0+b"
    assert odd.oci_pull == ""  # "o x/My_Chart" is no OCI repository name
    plain = commands("http://h:8080/org1", "h:8080", "org1", "web", "1.0.0", oci=False)
    assert plain.repo_add == "helm repo add org1 http://h:8080/org1" and plain.oci_pull == ""


@pytest.mark.parametrize(
    "repository, tenant",
    [
        ("http://localhost:8080/cm/org1", "org1"),
        ("http://localhost:8080/cm/org1/", "org1"),
        ("http://localhost:8080/cm", ""),
        ("oci://localhost:8080/org1", "org1"),
        ("http://localhost:8080/other/org1", None),
        ("https://charts.example.com/cm/org1", None),
        ("@stable", None),
        ("file://../redis", None),
        ("", None),
    ],
)
def test_dependencies_on_this_server(repository: str, tenant: str | None) -> None:
    from app.ui.pages import dependency_tenant

    assert dependency_tenant(repository, "http://localhost:8080/cm") == tenant
