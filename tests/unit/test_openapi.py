"""The OpenAPI description: it describes exactly the routes Flask serves, for every
configuration that changes them, and real responses conform to it."""

from __future__ import annotations

import base64
import gzip
import io
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

    def uncovered(self) -> set[tuple[str, str]]:
        """Operations (HEAD twins aside) that no request of this session reached."""
        reached = {(method.lower(), template) for method, template, _ in self.statuses}
        spec = self.schema.raw_schema["paths"]
        every = {(m, path) for path, item in spec.items() for m in item if m != "head"}
        return every - reached

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
    assert call.uncovered() == set()


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
