"""Every route at depth 0 and its ChartMuseum status codes and messages (in process)."""

from __future__ import annotations

import io
import json
import os

import pytest
from flask.testing import FlaskClient

from tests.helpers import make_chart
from tests.helpers import make_prov
from tests.helpers import make_tgz


@pytest.fixture
def seeded(storage: str, make_app) -> FlaskClient:
    with open(os.path.join(storage, "mychart-0.1.0.tgz"), "wb") as fh:
        fh.write(make_chart())
    with open(os.path.join(storage, "mychart-0.1.0.tgz.prov"), "wb") as fh:
        fh.write(make_prov())
    return make_app().test_client()


def _error(response) -> str:
    assert response.content_type == "application/json; charset=utf-8"
    return json.loads(response.data)["error"]


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/", 200),
        ("GET", "/health", 200),
        ("GET", "/index.yaml", 200),
        ("HEAD", "/index.yaml", 200),
        ("GET", "/charts/mychart-0.1.0.tgz", 200),
        ("GET", "/charts/mychart-0.1.0.tgz.prov", 200),
        ("GET", "/charts/fakechart-0.1.0.tgz", 404),
        ("GET", "/charts/fakechart-0.1.0.tgz.prov", 404),
        ("GET", "/charts/fakechart-0.1.0.bad", 404),
        ("GET", "/api/charts", 200),
        ("GET", "/api/charts?offset=10&limit=5", 200),
        ("GET", "/api/charts?offset=-1&limit=5", 400),
        ("GET", "/api/charts/mychart", 200),
        ("HEAD", "/api/charts/mychart", 200),
        ("GET", "/api/charts/fakechart", 404),
        ("HEAD", "/api/charts/fakechart", 404),
        ("GET", "/api/charts/mychart/0.1.0", 200),
        ("GET", "/api/charts/mychart/latest", 200),
        ("HEAD", "/api/charts/mychart/0.1.0", 200),
        ("GET", "/api/charts/mychart/0.1.1", 404),
        ("HEAD", "/api/charts/mychart/0.1.1", 404),
        ("GET", "/api/charts/fakechart/0.1.0", 404),
        ("GET", "/api/charts/mychart/0.1.0/templates", 200),
        ("GET", "/api/charts/mychart/latest/templates", 200),
        ("GET", "/api/charts/mychart/0.1.0/values", 200),
        ("GET", "/api/charts/mychart/latest/values", 200),
        ("GET", "/api/charts/mychart/0.1.1/templates", 404),
        ("GET", "/api/charts/fakechart/0.1.0/values", 404),
        ("GET", "/nothing/here", 404),
    ],
)
def test_conformance_table(seeded: FlaskClient, method: str, path: str, status: int) -> None:
    response = seeded.open(path, method=method)
    assert response.status_code == status
    assert response.headers["X-Request-Id"]


def test_bodies(seeded: FlaskClient) -> None:
    assert seeded.get("/health").data == b'{"healthy":true}'
    assert seeded.get("/info").data == b'{"version":"0.16.5"}'
    assert b"mychart" in seeded.get("/").data  # the web UI's repository page
    assert seeded.get("/").headers["Content-Type"] == "text/html; charset=utf-8"
    described = json.loads(seeded.get("/api/charts/mychart/0.1.0").data)
    assert list(described)[:3] == ["name", "version", "apiVersion"]
    assert described["urls"] == ["charts/mychart-0.1.0.tgz"]
    assert len(described["digest"]) == 64
    listing = json.loads(seeded.get("/api/charts").data)
    assert list(listing) == ["mychart"]
    assert seeded.get("/charts/mychart-0.1.0.tgz").headers["Content-Type"] == "application/x-tar"
    assert (
        seeded.get("/charts/mychart-0.1.0.tgz.prov").headers["Content-Type"]
        == "application/pgp-signature"
    )


@pytest.mark.parametrize(
    "path, message",
    [
        ("/api/charts/fakechart", "chart not found"),
        ("/api/charts/fakechart/0.1.0", "no chart name found"),
        ("/api/charts/mychart/0.1.1", "no chart version found for mychart-0.1.1"),
        ("/api/charts/mychart/foo", "improper constraint: foo"),
        ("/api/charts?offset=x", "offset is not a valid non-negative integer"),
        ("/api/charts?limit=0", "limit is not a valid positive integer"),
        ("/charts/x.bad", "unsupported file extension"),
        ("/charts/nope-1.0.0.tgz", "object not found"),
        ("/nothing", "not found"),
    ],
)
def test_error_messages(seeded: FlaskClient, path: str, message: str) -> None:
    assert _error(seeded.get(path)) == message


def test_templates_and_values(seeded: FlaskClient) -> None:
    body = json.loads(seeded.get("/api/charts/mychart/0.1.0/templates").data)
    assert body["templates"][0]["name"] == "templates/configmap.yaml"
    assert body["values"] == {"replicaCount": 1}
    values = seeded.get("/api/charts/mychart/latest/values")
    assert values.content_type == "application/yaml"
    assert values.data == b"# default values\nreplicaCount: 1\n"


def test_values_missing(client: FlaskClient) -> None:
    tgz = make_tgz({"Chart.yaml": "apiVersion: v2\nname: novals\nversion: 1.0.0\n"}, top="novals")
    assert client.post("/api/charts", data=tgz).status_code == 201
    assert _error(client.get("/api/charts/novals/1.0.0/values")) == "values.yaml not found"
    assert json.loads(client.get("/api/charts/novals/1.0.0/templates").data)["values"] is None


def test_version_constraints(client: FlaskClient) -> None:
    for version in ("1.0.0", "1.2.0", "1.2.5", "2.0.0-beta.1", "0.9.0"):
        assert client.post("/api/charts", data=make_chart("c", version)).status_code == 201

    def resolve(spec: str) -> str:
        return json.loads(client.get(f"/api/charts/c/{spec}").data)["version"]

    assert resolve("latest") == "1.2.5"
    assert resolve("~1.2.0") == "1.2.5"
    assert resolve("^1.0") == "1.2.5"
    assert resolve("<1.0.0") == "0.9.0"
    assert resolve("1.2.0") == "1.2.0"
    assert resolve("2.0.0-beta.1") == "2.0.0-beta.1"
    versions = [v["version"] for v in json.loads(client.get("/api/charts/c").data)]
    assert versions == ["2.0.0-beta.1", "1.2.5", "1.2.0", "1.0.0", "0.9.0"]


def test_pagination_offset_without_limit(client: FlaskClient) -> None:
    for name in ("a", "b", "c", "d"):
        client.post("/api/charts", data=make_chart(name))
    assert list(json.loads(client.get("/api/charts?offset=1").data)) == ["b", "c", "d"]
    assert list(json.loads(client.get("/api/charts?offset=1&limit=2").data)) == ["b", "c"]
    assert json.loads(client.get("/api/charts?offset=10").data) == {}


def test_upload_raw_conflict_and_force(client: FlaskClient) -> None:
    tgz = make_chart()
    assert client.post("/api/charts", data=tgz).status_code == 201
    second = client.post("/api/charts", data=tgz)
    assert second.status_code == 409 and _error(second) == "file already exists"
    assert client.post("/api/charts?force", data=tgz).status_code == 201
    assert client.post("/api/charts?force=false", data=tgz).status_code == 201


def test_upload_prov_raw(client: FlaskClient) -> None:
    assert client.post("/api/prov", data=make_prov()).status_code == 201
    assert _error(client.post("/api/prov", data=make_prov())) == "file already exists"
    assert client.post("/api/prov?force", data=make_prov()).status_code == 201
    empty = client.post("/api/prov", data=b"")  # ChartMuseum: 500; bad input is a client error
    assert empty.status_code == 400 and _error(empty) == "invalid provenance file"


def test_upload_errors(client: FlaskClient) -> None:
    assert _error(client.post("/api/charts", data=b"")) == "EOF"
    assert (
        _error(client.post("/api/charts", data=b"this is not a gzip archive"))
        == "gzip: invalid header"
    )
    bad = make_chart(name="../../../../charts/org2/repo2/evil")
    assert client.post("/api/charts", data=bad).status_code == 400
    evil_prov = make_prov(name="../../evil")
    response = client.post("/api/prov", data=evil_prov)
    assert response.status_code == 400 and "improperly formatted" in _error(response)


def _multipart(client: FlaskClient, query: str = "", **fields: bytes):
    data = {k: (io.BytesIO(v), f"{k}.bin") for k, v in fields.items()}
    return client.post("/api/charts" + query, data=data, content_type="multipart/form-data")


def test_multipart(client: FlaskClient) -> None:
    assert _multipart(client, chart=make_chart()).status_code == 201
    again = _multipart(client, chart=make_chart())
    assert again.status_code == 409 and _error(again) == "chart already exists"
    assert _multipart(client, "?force", chart=make_chart(), prov=make_prov()).status_code == 201
    assert client.get("/charts/mychart-0.1.0.tgz.prov").status_code == 200
    assert _multipart(client, prov=make_prov("other", "1.0.0")).status_code == 201
    unknown = _multipart(client, unknown=make_chart())
    assert unknown.status_code == 400
    assert _error(unknown) == "no package or provenance file found in form fields chart and prov"
    assert _multipart(client, chart=make_prov()).status_code == 400
    assert _multipart(client, prov=make_chart("x")).status_code == 400


def test_multipart_custom_field_names(make_app) -> None:
    client = make_app(
        chart_post_form_field_name="package", prov_post_form_field_name="sig"
    ).test_client()
    assert _multipart(client, package=make_chart("custom")).status_code == 201
    assert client.get("/api/charts/custom").status_code == 200  # indexed, unlike ChartMuseum
    assert _multipart(client, sig=make_prov("custom")).status_code == 201


def test_delete(seeded: FlaskClient, storage: str) -> None:
    assert seeded.delete("/api/charts/mychart/0.1.0").data == b'{"deleted":true}'
    assert not os.path.exists(os.path.join(storage, "mychart-0.1.0.tgz.prov"))
    again = seeded.delete("/api/charts/mychart/0.1.0")
    assert again.status_code == 404
    assert storage not in _error(again)  # no absolute path leaked
    assert seeded.get("/api/charts/mychart").status_code == 404


def test_disable_api_and_delete(make_app) -> None:
    no_api = make_app(disable_api=True).test_client()
    for method, path in [
        ("GET", "/api/charts"),
        ("POST", "/api/charts"),
        ("POST", "/api/prov"),
        ("DELETE", "/api/charts/a/1"),
    ]:
        assert no_api.open(path, method=method).status_code == 404
    no_delete = make_app(disable_delete=True).test_client()
    assert no_delete.delete("/api/charts/a/1.0.0").status_code in (404, 405)


def test_allow_overwrite(make_app) -> None:
    client = make_app(allow_overwrite=True).test_client()
    for _ in range(2):
        assert client.post("/api/charts", data=make_chart()).status_code == 201
        assert client.post("/api/prov", data=make_prov()).status_code == 201
        assert _multipart(client, chart=make_chart(), prov=make_prov()).status_code == 201
    assert len(json.loads(client.get("/api/charts/mychart").data)) == 1


def test_disable_force_overwrite(make_app) -> None:
    client = make_app(disable_force_overwrite=True).test_client()
    assert client.post("/api/charts", data=make_chart()).status_code == 201
    assert client.post("/api/charts?force", data=make_chart()).status_code == 409
    assert _multipart(client, "?force", chart=make_chart()).status_code == 409


def test_max_storage_objects(storage: str, make_app) -> None:
    with open(os.path.join(storage, "mychart-0.1.0.tgz"), "wb") as fh:
        fh.write(make_chart())
    client = make_app(max_storage_objects=1, allow_overwrite=True).test_client()
    assert client.post("/api/charts", data=make_chart()).status_code == 201
    full = client.post("/api/charts", data=make_chart("new"))
    assert full.status_code == 507 and _error(full) == "repo has reached storage limit"
    assert client.post("/api/prov", data=make_prov("new")).status_code == 507
    assert _multipart(client, chart=make_chart("new")).status_code == 507


def test_max_upload_size(make_app) -> None:
    client = make_app(max_upload_size=1).test_client()
    for response in (
        client.post("/api/charts", data=make_chart()),
        client.post("/api/prov", data=make_prov()),
        _multipart(client, chart=make_chart()),
    ):
        assert response.status_code == 413
        assert response.data == b"request too large"


def test_per_chart_limit(make_app, storage: str) -> None:
    client = make_app(per_chart_limit=2).test_client()
    for name, version in [("mychart-service", "0.0.1"), ("mychart", "0.0.1"), ("mychart", "0.2.0")]:
        assert client.post("/api/charts", data=make_chart(name, version)).status_code == 201
    client.post("/api/prov", data=make_prov("mychart", "0.0.1"))
    assert (
        _multipart(
            client, chart=make_chart("mychart", "0.1.0"), prov=make_prov("mychart", "0.1.0")
        ).status_code
        == 201
    )
    assert client.get("/api/charts/mychart/0.2.0").status_code == 200
    assert client.get("/api/charts/mychart/0.1.0").status_code == 200
    assert client.get("/api/charts/mychart/0.0.1").status_code == 404
    assert client.get("/api/charts/mychart-service/0.0.1").status_code == 200
    assert not os.path.exists(os.path.join(storage, "mychart-0.0.1.tgz.prov"))


def test_artifacthub(make_app) -> None:
    client = make_app(artifact_hub_repo_id={"": "abc-123"}).test_client()
    response = client.get("/artifacthub-repo.yml")
    assert response.data == b"repositoryID: abc-123\n"
    assert response.content_type == "application/x-yaml"
    assert make_app().test_client().get("/artifacthub-repo.yml").status_code == 404


def test_context_path(make_app) -> None:
    client = make_app(context_path="/my/crazy/path/").test_client()
    assert client.get("/index.yaml").status_code == 404
    assert client.get("/my/crazy/path").status_code == 200
    assert client.get("/my/crazy/path/health").status_code == 200
    assert client.post("/my/crazy/path/api/charts", data=make_chart()).status_code == 201
    index = client.get("/my/crazy/path/index.yaml").data
    assert b"serverInfo:\n  contextPath: /my/crazy/path\n" in index
    assert client.get("/my/crazy/pathx/index.yaml").status_code == 404


def test_chart_url(make_app) -> None:
    client = make_app(chart_url="https://charts.example.com/", context_path="/cm").test_client()
    client.post("/cm/api/charts", data=make_chart())
    described = json.loads(client.get("/cm/api/charts/mychart/0.1.0").data)
    assert described["urls"] == ["https://charts.example.com/cm/charts/mychart-0.1.0.tgz"]
    assert client.get("/cm/api/charts/mychart/0.1.0/templates").status_code == 200
    assert client.get("/cm/api/charts/mychart/0.1.0/values").status_code == 200
    doubled = make_app(chart_url="https://h/cm", context_path="/cm").test_client()
    doubled.post("/cm/api/charts", data=make_chart())
    assert json.loads(doubled.get("/cm/api/charts/mychart/0.1.0").data)["urls"] == [
        "https://h/cm/charts/mychart-0.1.0.tgz"
    ]


def test_json_index(make_app) -> None:
    client = make_app(json_index=True).test_client()
    client.post("/api/charts", data=make_chart())
    response = client.get("/index.yaml")
    assert response.content_type == "application/x-yaml"
    body = json.loads(response.data)
    assert list(body) == ["apiVersion", "generated", "entries", "serverInfo"]


def test_cors(make_app) -> None:
    client = make_app(cors_alloworigin="https://ui.example.com").test_client()
    assert (
        client.get("/api/charts").headers["Access-Control-Allow-Origin"] == "https://ui.example.com"
    )
    assert "Access-Control-Allow-Origin" not in client.get("/index.yaml").headers


def test_request_id_echoed(client: FlaskClient) -> None:
    assert client.get("/health", headers={"X-Request-Id": "abc"}).headers["X-Request-Id"] == "abc"
    assert len(client.get("/nothing").headers["X-Request-Id"]) == 36
    for unfit in ("caf\u00e9", "a\tb", " padded "):  # not echoed as sent: a new one
        sent = client.get("/health", headers={"X-Request-Id": unfit}).headers["X-Request-Id"]
        assert sent != unfit and len(sent) == 36


def test_web_template_path(make_app, tmp_path) -> None:
    (tmp_path / "index.html").write_text("<h1>Our charts</h1>")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("h1 {}")
    client = make_app(web_template_path=str(tmp_path)).test_client()
    page = client.get("/")
    assert page.data == b"<h1>Our charts</h1>"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert client.get("/static/app.css").data == b"h1 {}"
    assert client.get("/static/../index.html").status_code == 404


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/charts")
    assert response.status_code == 405
    assert response.get_json() == {"error": "method not allowed"}
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
