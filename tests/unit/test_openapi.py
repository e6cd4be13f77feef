"""The OpenAPI description: it describes exactly the routes Flask serves, for every
configuration that changes them, and real responses conform to it."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re

import pytest
import schemathesis
from openapi_spec_validator import validate
from werkzeug.test import TestResponse

from app.openapi import build_spec
from app.options import Config
from app.startup import normalise
from tests.helpers import make_chart
from tests.helpers import make_prov

AUTH = {"basic_auth_user": "user", "basic_auth_pass": "pass"}
CREDENTIALS = {"Authorization": "Basic " + base64.b64encode(b"user:pass").decode()}

# every option that changes the set of routes, the paths or the security requirements
CONFIGS = {
    "default": {},
    "depth1": {"depth": 1},
    "depth3": {"depth": 3},
    "dynamic": {"depth_dynamic": True},
    "context": {"context_path": "/cm/", "depth": 2},
    "no-api": {"disable_api": True, "depth": 1},
    "no-delete": {"disable_delete": True},
    "no-oci": {"disable_oci": True, "depth": 1},
    "no-oci-dynamic": {"disable_oci": True, "depth_dynamic": True, "context_path": "/cm"},
    "no-api-no-delete-dynamic": {
        "disable_api": True,
        "disable_delete": True,
        "depth_dynamic": True,
    },
    "everything": {
        "enable_metrics": True,
        "web_template_path": "/nonexistent",
        "artifact_hub_repo_id": {"": "abc"},
        "max_storage_objects": 10,
        "context_path": "/cm",
        "chart_post_form_field_name": "package",
        "prov_post_form_field_name": "signature",
    },
    "basic": AUTH,
    "anonymous-get": {**AUTH, "auth_anonymous_get": True},
}

# documented statuses only (a documented 507 is fine here; the fuzz run forbids every 5xx)
CONFORMANCE = schemathesis.Config.from_dict(
    {
        "checks": {
            "enabled": False,
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        }
    }
)


def tenant(depth: int) -> str:
    names = ["repo"] if depth == 1 else [f"repo{i}" for i in range(1, depth + 1)]
    return "/".join(f"{{{name}}}" for name in names)


def spec_path(rule: str, depth: int) -> str:
    """Flask rule → OpenAPI path, written independently of app.openapi."""
    rule = rule.replace("/<repo:repo>", "")  # --depth-dynamic: described in its depth-0 form
    rule = re.sub(r"<repo\(depth=\d+\):repo>", tenant(depth), rule)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def served(app, depth: int) -> set[tuple[str, str]]:
    return {
        (spec_path(rule.rule, depth), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"OPTIONS"}
    }


def described(spec: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item}


@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_describes_every_route_and_nothing_else(make_app, options):
    app = make_app(**options)
    ctx = normalise(Config(**options)).context_path
    response = app.test_client().get(f"{ctx}/api/openapi.json")  # no credentials needed
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    spec = response.get_json()
    assert described(spec) == served(app, options.get("depth", 0))


@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_is_valid_openapi_31(options):
    spec = build_spec(normalise(Config(**options)))
    validate(spec)
    assert spec["openapi"] == "3.1.0"


def test_tenant_parameters_follow_depth():
    paths = build_spec(normalise(Config(depth=2, context_path="cm")))["paths"]
    assert "/cm/{repo1}/{repo2}/index.yaml" in paths
    assert "/cm/api/{repo1}/{repo2}/charts/{name}/{version}" in paths
    params = paths["/cm/{repo1}/{repo2}/charts/{filename}"]["get"]["parameters"]
    assert [p["name"] for p in params] == ["repo1", "repo2", "filename"]
    assert "/cm/api/openapi.json" in paths


def test_depth_dynamic_is_described_at_depth_0_with_a_note():
    spec = build_spec(normalise(Config(depth_dynamic=True)))
    assert "/index.yaml" in spec["paths"] and "/api/charts" in spec["paths"]
    assert "--depth-dynamic" in spec["info"]["description"]


def test_security_follows_auth_options():
    basic = build_spec(normalise(Config(**AUTH)))
    assert basic["components"]["securitySchemes"] == {
        "basicAuth": {"type": "http", "scheme": "basic"}
    }
    upload = basic["paths"]["/api/charts"]["post"]
    assert upload["security"] == [{"basicAuth": []}] and "401" in upload["responses"]
    assert basic["paths"]["/health"]["get"]["security"] == []
    anonymous = build_spec(normalise(Config(**AUTH, auth_anonymous_get=True)))["paths"]
    assert anonymous["/index.yaml"]["get"]["security"] == []
    assert "401" not in anonymous["/index.yaml"]["get"]["responses"]
    assert "401" in anonymous["/api/charts"]["post"]["responses"]
    open_spec = build_spec(normalise(Config()))
    assert "securitySchemes" not in open_spec["components"]


def test_bearer_operations_name_their_action(tmp_path):
    options = {"bearer_auth": True, "auth_realm": "https://auth", "auth_service": "cm"}
    spec = build_spec(normalise(Config(**options)))
    assert spec["paths"]["/api/charts"]["get"]["security"] == [{"bearerAuth": ["pull"]}]
    assert spec["paths"]["/api/charts"]["post"]["security"] == [{"bearerAuth": ["push"]}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_disabled_routes_are_not_described():
    no_delete = build_spec(normalise(Config(disable_delete=True)))["paths"]
    assert "delete" not in no_delete["/api/charts/{name}/{version}"]
    no_api = build_spec(normalise(Config(disable_api=True)))["paths"]
    assert "/api/openapi.json" in no_api
    assert not [p for p in no_api if p.startswith("/api/") and p != "/api/openapi.json"]


def test_not_shadowed_by_a_tenant_named_api(make_app):
    client = make_app(depth=1).test_client()
    assert client.post("/api/api/charts", data=make_chart()).status_code == 201
    assert client.get("/api/openapi.json").get_json()["openapi"] == "3.1.0"
    assert client.get("/api/index.yaml").status_code == 200


# -- real responses conform -------------------------------------------------------------------
class Conformance:
    """Send requests through the Flask test client and validate every answer."""

    def __init__(self, app, depth: int = 0) -> None:
        self.client = app.test_client()
        self.schema = schemathesis.openapi.from_dict(
            self.client.get("/api/openapi.json").get_json(), config=CONFORMANCE
        )
        self.adapter = app.url_map.bind("localhost")
        self.depth = depth
        self.statuses: set[tuple[str, str, int]] = set()

    def __call__(self, method: str, url: str, **kw):
        response = self.client.open(url, method=method, **kw)
        path = url.split("?")[0]
        rule, args = self.adapter.match(path, method=method, return_rule=True)
        template = spec_path(rule.rule, self.depth)
        operation = self.schema[template][method]
        case = operation.Case(path_parameters=self._params(args))
        case.validate_response(_decoded(response))
        self.statuses.add((method, template, response.status_code))
        return response

    def uncovered(self, registry: bool = False) -> set[tuple[str, str]]:
        """Operations (HEAD twins aside) of the chart repository (or of the OCI registry)
        that no request of this session reached."""
        reached = {(method.lower(), template) for method, template, _ in self.statuses}
        spec = self.schema.raw_schema["paths"]
        every = {(m, path) for path, item in spec.items() for m in item if m != "head"}
        return {(m, p) for m, p in every - reached if p.startswith("/v2/") == registry}

    def _params(self, args: dict) -> dict:
        params = dict(args)
        repo = params.pop("repo", None)
        if repo is not None and self.depth:
            names = re.findall(r"{(\w+)}", tenant(self.depth))
            params.update(zip(names, repo.split("/"), strict=True))
        return params


def _decoded(response):
    """What an HTTP client sees: a gzip-encoded body decompressed, as requests does."""
    if response.headers.get("Content-Encoding") != "gzip":
        return response
    headers = [(k, v) for k, v in response.headers if k != "Content-Encoding"]
    body = gzip.decompress(response.data)
    return TestResponse([body], response.status, headers, request=response.request)


def _multipart(**files: bytes) -> dict:
    return {"data": {k: (_stream(v), f"{k}.bin") for k, v in files.items()},
            "content_type": "multipart/form-data"}  # fmt: skip


def _stream(data: bytes):
    return io.BytesIO(data)


def test_responses_of_a_full_session_conform(make_app):
    app = make_app(depth=1, **AUTH)
    call = Conformance(app, depth=1)
    auth = {"headers": CREDENTIALS}
    for method, url in [("GET", "/"), ("GET", "/org/index.yaml"), ("POST", "/api/org/charts")]:
        assert call(method, url).status_code == 401
    assert call("GET", "/health").status_code == 200
    assert call("GET", "/info").status_code == 200
    assert call("HEAD", "/info").status_code == 200
    assert call("GET", "/api/openapi.json").status_code == 200
    assert call("GET", "/", **auth).status_code == 200
    assert call("POST", "/api/org/charts", data=make_chart(), **auth).status_code == 201
    assert call("POST", "/api/org/charts", data=make_chart(), **auth).status_code == 409
    assert call("POST", "/api/org/charts?force", data=make_chart(), **auth).status_code == 201
    assert call("POST", "/api/org/charts", data=b"junk", **auth).status_code == 400
    assert call("POST", "/api/org/charts", data=b"", **auth).status_code == 400
    form = _multipart(chart=make_chart("two", "1.0.0"), prov=make_prov("two", "1.0.0"))
    assert call("POST", "/api/org/charts", **form, **auth).status_code == 201
    assert call("POST", "/api/org/charts", **_multipart(other=b"x"), **auth).status_code == 400
    assert call("POST", "/api/org/prov", data=make_prov(), **auth).status_code == 201
    assert call("POST", "/api/org/prov", data=make_prov(), **auth).status_code == 409
    assert call("POST", "/api/.hidden/charts", data=make_chart(), **auth).status_code == 400
    index = call("GET", "/org/index.yaml", **auth)
    assert index.status_code == 200
    etag = {"If-None-Match": index.headers["ETag"], **CREDENTIALS}
    assert call("GET", "/org/index.yaml", headers=etag).status_code == 304
    gzipped = {"Accept-Encoding": "gzip", **CREDENTIALS}
    assert call("GET", "/org/index.yaml", headers=gzipped).headers["Content-Encoding"] == "gzip"
    assert call("HEAD", "/org/index.yaml", **auth).status_code == 200
    assert call("GET", "/org/charts/mychart-0.1.0.tgz", **auth).status_code == 200
    assert call("GET", "/org/charts/mychart-0.1.0.tgz.prov", **auth).status_code == 200
    assert call("GET", "/org/charts/index-cache.yaml", **auth).status_code == 404
    assert call("GET", "/org/charts/missing-1.0.0.tgz", **auth).status_code == 404
    assert call("GET", "/api/org/charts", **auth).status_code == 200
    assert call("GET", "/api/org/charts?offset=1&limit=1", **auth).status_code == 200
    assert call("GET", "/api/org/charts?limit=0", **auth).status_code == 400
    assert call("GET", "/api/org/charts/mychart", **auth).status_code == 200
    assert call("GET", "/api/org/charts/nothing", **auth).status_code == 404
    for version in ("0.1.0", "latest", "^0.1"):
        assert call("GET", f"/api/org/charts/mychart/{version}", **auth).status_code == 200
    assert call("GET", "/api/org/charts/mychart/9.9.9", **auth).status_code == 404
    assert call("GET", "/api/org/charts/mychart/0.1.0/templates", **auth).status_code == 200
    assert call("GET", "/api/org/charts/mychart/0.1.0/values", **auth).status_code == 200
    assert call("HEAD", "/api/org/charts/mychart/0.1.0", **auth).status_code == 200
    assert call("DELETE", "/api/org/charts/mychart/0.1.0", **auth).status_code == 200
    assert call("DELETE", "/api/org/charts/mychart/0.1.0", **auth).status_code == 404
    assert call("DELETE", "/api/org/charts/two/1.0.0").status_code == 401
    _web_ui_session(call, auth)
    assert call.uncovered() == set()  # the chart repository's operations (registry: below)


def _web_ui_session(call: Conformance, auth: dict) -> None:
    """The web UI's pages and forms, with and without the form token."""
    page = call("GET", "/org/", **auth)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    assert call("GET", "/org/?q=two&sort=updated&page=2", **auth).status_code == 200
    assert call("GET", "/.chart/org/two", **auth).status_code == 200
    assert call("GET", "/.chart/org/two?version=9.9.9", **auth).status_code == 404
    assert call("GET", "/.chart/org/nothing", **auth).status_code == 404

    def upload(**fields):
        form = {k: (_stream(v), k) if isinstance(v, bytes) else v for k, v in fields.items()}
        return call("POST", "/.upload/org", data=form, content_type="multipart/form-data", **auth)

    assert upload(csrf_token=token, chart=make_chart("ui", "1.0.0")).status_code == 303
    assert upload(csrf_token=token, chart=make_chart("ui", "1.0.0")).status_code == 409
    assert upload(csrf_token=token, chart=b"junk").status_code == 400
    assert upload(chart=make_chart("ui", "2.0.0")).status_code == 400  # no token
    assert (
        call("POST", "/.delete/org/ui/1.0.0", data={"csrf_token": token}, **auth).status_code == 303
    )
    assert (
        call("POST", "/.delete/org/ui/1.0.0", data={"csrf_token": token}, **auth).status_code == 404
    )
    assert call("POST", "/.delete/org/two/1.0.0", data={}, **auth).status_code == 400
    assert call("GET", "/.static/ui.css").status_code == 200
    assert call("GET", "/.static/nothing.css").status_code == 404


# -- the OCI registry -----------------------------------------------------------------------------
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest(chart: bytes, config: bytes, prov: bytes | None = None) -> bytes:
    layers = [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
               "digest": _sha256(chart), "size": len(chart)}]  # fmt: skip
    if prov is not None:
        layers.append({"mediaType": "application/vnd.cncf.helm.chart.provenance.v1.prov",
                       "digest": _sha256(prov), "size": len(prov)})  # fmt: skip
    body = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                   "digest": _sha256(config), "size": len(config)},
        "layers": layers,
    }  # fmt: skip
    return json.dumps(body).encode()


def test_registry_routes_are_at_the_server_root():
    paths = build_spec(normalise(Config(context_path="/cm", depth=2)))["paths"]
    assert "/v2/" in paths and "/v2/{name}/manifests/{reference}" in paths
    assert not [p for p in paths if p.startswith("/cm/v2")]
    params = paths["/v2/{name}/blobs/uploads/{upload_id}"]["patch"]["parameters"]
    assert [p["name"] for p in params] == ["name", "upload_id", "Content-Range"]
    assert "exactly 2 tenant segments" in params[0]["description"]
    no_oci = build_spec(normalise(Config(disable_oci=True)))["paths"]
    assert not [p for p in no_oci if p.startswith("/v2")]
    no_delete = build_spec(normalise(Config(disable_delete=True)))["paths"]
    assert set(no_delete["/v2/{name}/manifests/{reference}"]) == {"get", "head", "put"}


def test_registry_security_follows_auth_options():
    bearer = {"bearer_auth": True, "auth_realm": "https://auth", "auth_service": "cm"}
    paths = build_spec(normalise(Config(**bearer)))["paths"]
    assert paths["/v2/"]["get"]["security"] == [{"bearerAuth": []}]  # any valid token
    assert paths["/v2/_catalog"]["get"]["security"] == [{"bearerAuth": []}]
    assert paths["/v2/{name}/tags/list"]["get"]["security"] == [{"bearerAuth": ["pull"]}]
    push = paths["/v2/{name}/manifests/{reference}"]["put"]
    assert push["security"] == [{"bearerAuth": ["push"]}]
    assert push["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RegistryErrors"
    }
    anonymous = build_spec(normalise(Config(**AUTH, auth_anonymous_get=True)))["paths"]
    assert anonymous["/v2/"]["get"]["security"] == []
    assert anonymous["/v2/{name}/blobs/{digest}"]["get"]["security"] == []
    assert "401" in anonymous["/v2/{name}/blobs/uploads/"]["post"]["responses"]


def test_registry_session_conforms(make_app):
    app = make_app(depth=1, max_upload_size=1_000_000, **AUTH)
    call = Conformance(app, depth=1)
    auth = {"headers": CREDENTIALS}
    assert call("GET", "/v2/").status_code == 401
    assert call("GET", "/v2/org/mychart/tags/list").status_code == 401
    assert call("POST", "/v2/org/mychart/blobs/uploads/").status_code == 401
    assert call("GET", "/v2/", **auth).status_code == 200
    assert call("HEAD", "/v2/", **auth).status_code == 200
    assert call("GET", "/v2/_catalog", **auth).get_json() == {"repositories": []}
    stored = make_chart()
    assert call("POST", "/api/org/charts", data=stored, **auth).status_code == 201
    assert call("POST", "/api/org/charts", data=make_chart("b", "1.0.0"), **auth).status_code == 201
    assert call("POST", "/api/org/prov", data=make_prov(), **auth).status_code == 201
    page = call("GET", "/v2/_catalog?n=1", **auth)
    assert page.get_json() == {"repositories": ["org/b"]} and "Link" in page.headers
    assert call("GET", "/v2/_catalog?n=x", **auth).status_code == 400
    assert call("GET", "/v2/org/mychart/tags/list?n=5&last=0", **auth).status_code == 200
    assert call("GET", "/v2/org/missing/tags/list", **auth).status_code == 404
    assert call("GET", "/v2/mychart/tags/list", **auth).status_code == 400  # depth 1
    assert call("GET", "/v2/org/Upper/tags/list", **auth).status_code == 400
    # pulls: manifests and blobs of a chart uploaded through the API
    pulled = call("GET", "/v2/org/mychart/manifests/0.1.0", **auth)
    assert pulled.status_code == 200
    digest = pulled.headers["Docker-Content-Digest"]
    assert call("GET", f"/v2/org/mychart/manifests/{digest}", **auth).status_code == 200
    assert call("HEAD", "/v2/org/mychart/manifests/0.1.0", **auth).status_code == 200
    assert call("GET", "/v2/org/mychart/manifests/9.9.9", **auth).status_code == 404
    assert call("GET", "/v2/org/mychart/manifests/-bad", **auth).status_code == 400
    assert call("GET", "/v2/org/mychart/manifests/sha256:00", **auth).status_code == 400
    layers = pulled.get_json()["layers"]
    for blob in (pulled.get_json()["config"], *layers):
        assert call("GET", f"/v2/org/mychart/blobs/{blob['digest']}", **auth).status_code == 200
    assert call("HEAD", f"/v2/org/mychart/blobs/{layers[0]['digest']}", **auth).status_code == 200
    unknown = _sha256(b"nothing")
    assert call("GET", f"/v2/org/mychart/blobs/{unknown}", **auth).status_code == 404
    assert call("GET", "/v2/org/mychart/blobs/md5:00", **auth).status_code == 400
    # a push: a chunked upload, a monolithic one, then the manifest
    chart, config = make_chart("two", "1.0.0"), b'{"name":"two","version":"1.0.0"}'
    started = call("POST", "/v2/org/two/blobs/uploads/", **auth)
    assert started.status_code == 202
    location = started.headers["Location"]
    assert call("GET", location, **auth).status_code == 204
    assert call("HEAD", location, **auth).status_code == 204
    first = {"Content-Range": "0-9", **CREDENTIALS}
    assert call("PATCH", location, data=chart[:10], headers=first).status_code == 202
    again = call("PATCH", location, data=chart[:10], headers=first)
    assert again.status_code == 416 and again.get_json()["errors"][0]["code"]
    assert call("PUT", location, data=chart[10:], **auth).status_code == 400  # no digest
    doomed = call("POST", "/v2/org/two/blobs/uploads/", **auth).headers["Location"]
    wrong = call("PUT", f"{doomed}?digest={unknown}", data=b"x", **auth)
    assert wrong.status_code == 400  # and the upload is dropped, as distribution does
    assert call("GET", doomed, **auth).status_code == 404
    done = call("PUT", f"{location}?digest={_sha256(chart)}", data=chart[10:], **auth)
    assert done.status_code == 201
    assert call("GET", location, **auth).status_code == 404
    assert call("PATCH", location, data=b"x", **auth).status_code == 404
    mono = f"/v2/org/two/blobs/uploads/?digest={_sha256(config)}"
    assert call("POST", mono, data=config, **auth).status_code == 201
    assert call("POST", "/v2/org/two/blobs/uploads/", data=b"x", **auth).status_code == 400
    assert call("POST", f"/v2/org/two/blobs/uploads/?digest={unknown}", data=b"x",
                **auth).status_code == 400  # fmt: skip
    mount = f"/v2/org/two/blobs/uploads/?mount={layers[0]['digest']}&from=org/mychart"
    assert call("POST", mount, **auth).status_code == 201
    assert call("POST", "/v2/org/two/blobs/uploads/", data=b"x" * 1_100_000,
                **auth).status_code == 413  # fmt: skip
    cancelled = call("POST", "/v2/org/two/blobs/uploads/", **auth).headers["Location"]
    assert call("DELETE", cancelled, **auth).status_code == 204
    assert call("DELETE", cancelled, **auth).status_code == 404
    manifest, put = _manifest(chart, config), {"content_type": MANIFEST_TYPE, **auth}
    assert call("PUT", "/v2/org/two/manifests/1.0.0", data=b"{}", **put).status_code == 400
    missing = _manifest(chart, config, make_prov("two", "1.0.0"))
    assert call("PUT", "/v2/org/two/manifests/1.0.0", data=missing, **put).status_code == 400
    pushed = call("PUT", "/v2/org/two/manifests/1.0.0", data=manifest, **put)
    assert pushed.status_code == 201
    by_digest = f"/v2/org/two/manifests/{pushed.headers['Docker-Content-Digest']}"
    assert call("PUT", by_digest, data=manifest, **put).status_code == 201  # same push again
    assert call("GET", by_digest, **auth).data == manifest
    other = make_chart("two", "1.0.0", description="changed")
    assert call("POST", f"/v2/org/two/blobs/uploads/?digest={_sha256(other)}", data=other,
                **auth).status_code == 201  # fmt: skip
    conflict = call("PUT", "/v2/org/two/manifests/1.0.0", data=_manifest(other, config), **put)
    assert conflict.status_code == 409
    assert call("DELETE", by_digest, **auth).status_code == 202
    assert call("DELETE", by_digest, **auth).status_code == 404
    assert call.uncovered(registry=True) == set()


def test_read_only_registry_conforms(make_app):
    call = Conformance(make_app(disable_api=True))
    assert call("GET", "/v2/_catalog").status_code == 200
    assert call("PUT", "/v2/mychart/manifests/0.1.0", data=b"{}").status_code == 405
    assert call("POST", "/v2/mychart/blobs/uploads/").status_code == 405
    upload = "/v2/mychart/blobs/uploads/" + "0" * 32
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        assert call(method, upload).status_code == 405


def test_optional_routes_conform(make_app, tmp_path):
    (tmp_path / "web" / "static").mkdir(parents=True)
    (tmp_path / "web" / "static" / "app.css").write_text("h1 {}")
    options = {"enable_metrics": True, "web_template_path": str(tmp_path / "web")}
    app = make_app(**options, artifact_hub_repo_id={"": "abc"}, max_storage_objects=1)
    call = Conformance(app)
    assert call("GET", "/metrics").status_code == 200
    assert call("GET", "/static/app.css").status_code == 200
    assert call("GET", "/static/missing.css").status_code == 404
    assert call("GET", "/artifacthub-repo.yml").status_code == 200
    assert call("POST", "/api/charts", data=make_chart()).status_code == 201
    assert call("POST", "/api/charts", data=make_chart("other")).status_code == 507
    assert call("POST", "/api/charts", data=b"x" * 30_000_000).status_code == 413


def test_a_contradiction_is_caught(make_app):
    call = Conformance(make_app())
    operation = call.schema["/health"]["GET"]
    wrong = TestResponse([b'{"healthy":1}'], 200, [("Content-Type", "application/json")],
                         request=call.client.get("/health").request)  # fmt: skip
    with pytest.raises(BaseExceptionGroup) as caught:
        operation.Case().validate_response(wrong)
    found = {type(failure).__name__ for failure in caught.value.exceptions}
    assert found == {"MissingHeaders", "JsonSchemaError"}  # no X-Request-Id, healthy not true
