"""The route table the server mounts for a configuration, one :class:`Route` per operation.

It mirrors :func:`app.blueprints.register_blueprints` plus the metrics and description
routes of :mod:`app.factory`; ``tests/unit/test_openapi.py`` checks that the two agree
for every option that changes the set of routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from app.auth import PULL
from app.auth import PUSH
from app.openapi.components import JSON
from app.openapi.components import YAML
from app.openapi.components import Schema
from app.openapi.components import binary
from app.openapi.components import content
from app.openapi.components import error
from app.openapi.components import json_response
from app.openapi.components import ref
from app.openapi.components import too_large
from app.options import Config

SPEC_PATH = "/api/openapi.json"

# where a route is mounted: the server root (metrics), the context path, after the tenant
# (``<ctx>/<repo>/...``) or after ``/api`` and the tenant (``<ctx>/api/<repo>/...``)
Mount = Literal["root", "context", "repo", "api"]
Responses = dict[str, Schema]


@dataclass(frozen=True)
class Route:
    """One operation: where it is mounted, what it answers and which auth action it needs."""

    mount: Mount
    path: str
    method: str
    op_id: str
    summary: str
    responses: Responses
    action: str | None = PULL
    storage: bool = True  # reads or writes storage, so it may answer 500
    parameters: list[Schema] = field(default_factory=list)
    body: Schema | None = None
    description: str = ""

    def operation(self) -> dict[str, Any]:
        """The OpenAPI operation object, before tenant, auth and error additions."""
        op: dict[str, Any] = {"operationId": self.op_id, "summary": self.summary}
        if self.description:
            op["description"] = self.description
        op["parameters"] = list(self.parameters)
        if self.body is not None:
            op["requestBody"] = self.body
        op["responses"] = dict(self.responses)
        return op


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _ok(media_type: str, description: str, schema: Schema | None = None) -> Responses:
    return {"200": {"description": description, "content": content(media_type, schema)}}


def server_routes(config: Config) -> list[Route]:
    """``/``, ``/health``, ``/info``, this description, static files and metrics."""
    page = _ok("text/html", "The welcome page.")
    spec = _ok(JSON, "This OpenAPI 3.1 document.", {"type": "object"})
    routes = [
        Route("context", "/", "get", "welcome", "Welcome page", page, storage=False),
        Route("context", "/health", "get", "health", "Liveness",
              {"200": json_response("Healthy.", "Health")}, action=None, storage=False),
        Route("context", "/info", "get", "info", "Server version",
              {"200": json_response("Version.", "Info")}, action=None, storage=False),
        Route("context", SPEC_PATH, "get", "openapi", "API description", spec,
              action=None, storage=False),
    ]  # fmt: skip
    if config.context_path:
        routes.append(
            Route("context", "", "get", "welcome_bare", "Welcome page", page, storage=False)
        )
    if config.web_template_path:
        static = {"200": binary("*/*", "The file."), "404": error("No such file.")}
        summary = "A file under <web-template-path>/static (subfolders too)"
        routes.append(Route("context", "/static/{filename}", "get", "static_file", summary, static,
                            storage=False))  # fmt: skip
    if config.enable_metrics:
        metrics = _ok("text/plain", "Prometheus text exposition.")
        summary = "Prometheus metrics (at the server root, never under the context path)"
        routes.append(Route("root", "/metrics", "get", "metrics", summary, metrics, action=None,
                            storage=False))  # fmt: skip
    return routes


def repo_routes(config: Config) -> list[Route]:
    """What Helm fetches: the index and the packages."""
    etag = {"ETag": ref("headers", "ETag")}
    index = _ok(
        YAML, "The index; gzip-encoded when the client accepts gzip.", ref("schemas", "Index")
    )
    index["200"]["headers"] = etag
    index["304"] = {"description": "Unchanged since If-None-Match.", "headers": etag}
    if_none_match = {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}
    package = {
        "200": {"description": "The stored file.", "content": {
            "application/x-tar": {"schema": {"type": "string"}},
            "application/pgp-signature": {"schema": {"type": "string"}}}},
        "404": error("`unsupported file extension` or `object not found`."),
    }  # fmt: skip
    routes = [
        Route("repo", "/index.yaml", "get", "index_yaml", "Repository index", index,
              parameters=[if_none_match]),
        Route("repo", "/charts/{filename}", "get", "package",
              "Download a package (.tgz) or its provenance file (.tgz.prov)", package),
    ]  # fmt: skip
    if config.artifact_hub_repo_id:
        hub = _ok(YAML, "`repositoryID: <id>`.", {"type": "object"})
        hub["404"] = error("`Artifact Hub repository ID not found`.")
        routes.append(Route("repo", "/artifacthub-repo.yml", "get", "artifacthub",
                            "Artifact Hub repository metadata", hub, storage=False))  # fmt: skip
    return routes


def _upload_body(config: Config) -> Schema:
    names = {"chart": "package", config.chart_post_form_field_name: "package"}
    names |= {"prov": "provenance", config.prov_post_form_field_name: "provenance"}
    form = {
        "type": "object",
        "properties": {
            name: {"type": "string", "format": "binary", "description": f"a {kind} file"}
            for name, kind in names.items()
        },
    }
    raw = {"schema": {"type": "string", "format": "binary"}}
    description = (
        "A chart package as the raw body (any media type but multipart/form-data is read as "
        "one), or a multipart form with a package and/or a provenance file."
    )
    media: dict[str, Schema] = {"application/gzip": raw, "application/octet-stream": raw}
    media["multipart/form-data"] = {"schema": form}
    return {"required": True, "description": description, "content": media}


def _prov_body() -> Schema:
    raw = {"schema": {"type": "string", "format": "binary"}}
    return {"required": True, "content": {"application/pgp-signature": raw}}


def _upload_responses(config: Config, invalid: str) -> Responses:
    responses = {
        "201": json_response("Stored.", "Saved"),
        "400": error(invalid),
        "409": error("`file already exists` or `chart already exists` (no overwrite allowed)."),
        "413": too_large(),
    }
    responses.update(_write_failures())
    responses["507"] = error(
        "The storage is full, or (--max-storage-objects) `repo has reached storage limit`."
    )
    return responses


def _write_failures() -> Responses:
    return {"503": error("The storage refuses writes (read-only); retry later.")}


_FORCE = _query(
    "force",
    {"type": "string"},
    "Overwrite an existing version; its presence counts, whatever its value "
    "(no effect with --disable-force-overwrite).",
)
_PAGES = [
    _query("offset", {"type": "integer", "minimum": 0}, "Skip this many chart names."),
    _query("limit", {"type": "integer", "minimum": 1}, "Return at most this many chart names."),
]
_LOOKUP = error(
    "`no chart name found`, `no chart version found for <name>-<version>`, "
    "`improper constraint: <version>` or `object not found`."
)
_VERSION = "`version`: `latest`, an exact version or a semver constraint such as `^1.2`."


def _upload_routes(config: Config) -> list[Route]:
    chart = _upload_responses(config, "Not a valid chart package (Helm's loader message).")
    prov = _upload_responses(config, "Not a valid provenance file.")
    return [
        Route("api", "/charts", "post", "upload_chart", "Upload a chart and/or provenance file",
              chart, action=PUSH, parameters=[_FORCE], body=_upload_body(config)),
        Route("api", "/prov", "post", "upload_prov", "Upload a provenance file", prov,
              action=PUSH, parameters=[_FORCE], body=_prov_body()),
    ]  # fmt: skip


def _read_routes() -> list[Route]:
    listing = {"200": json_response("Chart name → versions.", "ChartList")}
    listing["400"] = error("Invalid offset or limit.")
    versions = {"200": json_response("Newest first.", "ChartVersions")}
    versions["404"] = error("`chart not found`.")
    describe = {"200": json_response("The chart version.", "ChartVersion"), "404": _LOOKUP}
    templates = {"200": json_response("Templates and values.", "Templates"), "404": _LOOKUP}
    values = _ok("application/yaml", "The file, comments kept.")
    values["404"] = error("A lookup error, or `values.yaml not found`.")
    version = "/charts/{name}/{version}"
    return [
        Route("api", "/charts", "get", "list_charts", "All charts", listing, parameters=_PAGES),
        Route("api", "/charts/{name}", "get", "chart_versions", "Versions of a chart", versions),
        Route("api", version, "get", "describe", "One chart version", describe,
              description=_VERSION),
        Route("api", version + "/templates", "get", "templates",
              "Templates (base64) and parsed values", templates, description=_VERSION),
        Route("api", version + "/values", "get", "values", "values.yaml as stored", values,
              description=_VERSION),
    ]  # fmt: skip


def api_routes(config: Config) -> list[Route]:
    """``/api/<repo>/...`` unless ``--disable-api``; DELETE unless ``--disable-delete``."""
    if config.disable_api:
        return []
    routes = _read_routes() + _upload_routes(config)
    if not config.disable_delete:
        deleted = {"200": json_response("Deleted.", "Deleted")}
        deleted["404"] = error("`remove <path>: no such file or directory`.")
        deleted.update(_write_failures())
        note = "`name` and `version` are taken literally (`latest` is not special)."
        routes.append(Route("api", "/charts/{name}/{version}", "delete", "delete",
                            "Delete a version and its provenance file", deleted, action=PUSH,
                            description=note))  # fmt: skip
    return routes


def all_routes(config: Config) -> list[Route]:
    """Every operation the server serves for ``config`` (GET routes also answer HEAD)."""
    return server_routes(config) + repo_routes(config) + api_routes(config)
