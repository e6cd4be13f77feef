"""The route table the server mounts for a configuration, one :class:`Route` per operation.

It mirrors :func:`app.blueprints.register_blueprints` plus the metrics, description and
OCI registry routes of :mod:`app.factory`; ``tests/unit/test_openapi.py`` checks that the
two agree for every option that changes the set of routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from app.auth import LOGIN
from app.auth import PULL
from app.auth import PUSH
from app.openapi.components import DIGEST_PATTERN
from app.openapi.components import JSON
from app.openapi.components import OCI_MANIFEST
from app.openapi.components import YAML
from app.openapi.components import Schema
from app.openapi.components import binary
from app.openapi.components import content
from app.openapi.components import error
from app.openapi.components import json_response
from app.openapi.components import ref
from app.openapi.components import registry_error
from app.openapi.components import too_large
from app.options import Config

SPEC_PATH = "/api/openapi.json"

# where a route is mounted: the server root (metrics), the context path, after the tenant
# (``<ctx>/<repo>/...``), after ``/api`` and the tenant (``<ctx>/api/<repo>/...``), under
# ``/v2`` at the server root whatever the context path (the OCI registry), or under the
# context path with the tenant where the path says :data:`TENANT` (the web UI)
Mount = Literal["root", "context", "repo", "api", "registry", "ui"]
TENANT = "{tenant}"
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
    # schemas of path parameters that are not one plain segment, by name
    path_schemas: dict[str, Schema] = field(default_factory=dict)

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
    spec = _ok(JSON, "This OpenAPI 3.1 document.", {"type": "object"})
    routes = [
        Route("context", "/health", "get", "health", "Liveness",
              {"200": json_response("Healthy.", "Health")}, action=None, storage=False),
        Route("context", "/info", "get", "info", "Server version",
              {"200": json_response("Version.", "Info")}, action=None, storage=False),
        Route("context", SPEC_PATH, "get", "openapi", "API description", spec,
              action=None, storage=False),
    ]  # fmt: skip
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


# -- the web UI ------------------------------------------------------------------------------
def _page(description: str) -> Responses:
    return {
        "200": {"description": description, "content": content("text/html", {"type": "string"})}
    }


def _ui_error(description: str) -> Schema:
    """An error of the web UI: a page, or the JSON error of checks shared with the API."""
    media = content("text/html", {"type": "string"}) | content(JSON, ref("schemas", "Error"))
    return {"description": description, "content": media}


_SEARCH = [
    _query("q", {"type": "string"}, "Words that the name, description or keywords contain."),
    _query("sort", {"type": "string", "enum": ["name", "updated"]}, "Order of the charts."),
    _query("page", {"type": "integer", "minimum": 1}, "Page of the charts (25 a page)."),
]
_TENANT_PAGES = _query("tpage", {"type": "integer", "minimum": 1}, "Page of the repositories.")
_SEE_OTHER = {
    "description": "Done; the page to show next (the message is in the session cookie).",
    "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
}


def _ui_forms(config: Config) -> list[Route]:
    token = {"type": "string", "description": "The CSRF token of the page's form."}
    upload = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {
            "csrf_token": token,
            "chart": {"type": "string", "format": "binary", "description": "a package"},
            "prov": {"type": "string", "format": "binary", "description": "its provenance"},
            "force": {"type": "string", "description": "present: replace an existing version"},
        }}}}}  # fmt: skip
    failed = _ui_error(
        "The repository page with the error: a missing or stale form token, or the API's "
        "upload errors (invalid package or provenance file, 409, 503, 507)."
    )
    uploaded = {"303": _SEE_OTHER, "400": failed, "409": failed, "413": too_large(),
                "503": failed, "507": failed}  # fmt: skip
    routes = [Route("ui", f"/.upload{TENANT}", "post", "ui_upload",
                    "Upload form: store a package and/or provenance file", uploaded,
                    action=PUSH, storage=False, body=upload)]  # fmt: skip
    if not config.disable_delete:
        form = {"required": True, "content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"csrf_token": token}}}}}  # fmt: skip
        deleted = {"303": _SEE_OTHER, "400": _ui_error("A missing or stale form token."),
                   "404": _ui_error("Nothing to delete (the API's message)."),
                   "503": _ui_error("The storage refuses writes.")}  # fmt: skip
        routes.append(Route("ui", f"/.delete{TENANT}/{{name}}/{{version}}", "post", "ui_delete",
                            "Delete form: delete a chart version", deleted, action=PUSH,
                            storage=False, body=form))  # fmt: skip
    return routes


def ui_routes(config: Config) -> list[Route]:
    """The web UI's pages and forms (forms only without ``--disable-api``)."""
    tenanted = config.depth > 0 or config.depth_dynamic
    home = _page("The root repository's charts and/or the repositories one may read.")
    home["400"] = _ui_error("Invalid parameters.")
    params = _SEARCH + ([_TENANT_PAGES] if tenanted else [])
    root = LOGIN if tenanted else PULL
    routes = [Route("ui", "/", "get", "ui_home", "Web UI: home page", home, action=root,
                    storage=False, parameters=params)]  # fmt: skip
    if config.context_path:
        routes.append(Route("ui", "", "get", "ui_home_bare", "Web UI: home page", home,
                            action=root, storage=False, parameters=params))  # fmt: skip
    if config.depth > 0 and not config.depth_dynamic:
        page = _page("The repository's charts: search, sort, pages.")
        page["400"] = _ui_error("Invalid repository path.")
        routes.append(Route("ui", f"{TENANT}/", "get", "ui_repository", "Web UI: repository",
                            page, storage=False, parameters=_SEARCH))  # fmt: skip
    chart = _page("A chart version: README, values, templates, versions, commands.")
    chart["400"] = _ui_error("Invalid repository path or chart name.")
    chart["404"] = _ui_error("No such chart or version (the API's lookup message).")
    version = _query("version", {"type": "string"}, "`latest` (default), exact, or a range.")
    routes.append(Route("ui", f"/.chart{TENANT}/{{name}}", "get", "ui_chart", "Web UI: chart",
                        chart, storage=False, parameters=[version]))  # fmt: skip
    if not config.disable_api:
        routes += _ui_forms(config)
    static = {"200": binary("*/*", "The file (CSS, JavaScript, icon)."),
              "404": error("`not found`.")}  # fmt: skip
    routes.append(Route("ui", "/.static/{filename}", "get", "ui_static",
                        "Web UI: stylesheet, script and icons", static, action=None,
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


# -- the OCI registry (/v2) ----------------------------------------------------------------------
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
NAME_PATTERN = f"^{_COMPONENT}(?:/{_COMPONENT})*$"
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"


def _name_schema(config: Config) -> Schema:
    if config.depth_dynamic:
        tenant = "any number of tenant segments (none: the root repository)"
    elif config.depth == 0:
        tenant = "no tenant segment (the root repository)"
    else:
        tenant = f"exactly {config.depth} tenant segment{'s' if config.depth > 1 else ''}"
    description = (
        "The OCI repository name `<tenant path>/<chart>`: "
        f"{tenant}, then the chart name. One or more lowercase path segments (OCI name "
        "components); its slashes are part of the URL path (`/v2/org1/web/tags/list`)."
    )
    return {"type": "string", "pattern": NAME_PATTERN, "description": description}


def _registry_paths(config: Config) -> dict[str, Schema]:
    reference = f"^(?:{TAG_PATTERN[1:-1]}|{DIGEST_PATTERN[1:-1]})$"
    return {
        "name": _name_schema(config),
        "reference": {
            "type": "string",
            "pattern": reference,
            "description": "A tag (the chart version, `+` written `_`) or a manifest digest.",
        },
        "digest": {"type": "string", "pattern": DIGEST_PATTERN, "description": "A blob digest."},
        "upload_id": {
            "type": "string",
            "pattern": UPLOAD_ID_PATTERN,
            "description": "The id the server gave the upload (its Docker-Upload-UUID).",
        },
    }


def _headers(**names: str) -> dict[str, Schema]:
    """Response headers: header name → component name."""
    return {header.replace("_", "-"): ref("headers", name) for header, name in names.items()}


_DIGEST_HEADERS = _headers(Docker_Content_Digest="ContentDigest", ETag="DigestETag")
_CREATED = {
    "description": "Stored; no body.",
    "headers": _headers(Location="BlobLocation", Docker_Content_Digest="ContentDigest"),
}
_UPLOADING = _headers(
    Location="UploadLocation", Docker_Upload_UUID="UploadUUID", Range="UploadRange"
)
_PAGES_OCI = [
    _query("n", {"type": "integer", "minimum": 0}, "Return at most this many (0: none)."),
    _query("last", {"type": "string"}, "Start after this one (byte order)."),
]
_PAGE_INVALID = "`PAGINATION_NUMBER_INVALID`: `n` is not a non-negative integer."
_BLOB_BODY: Schema = {
    "required": False,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_CONTENT_RANGE = {
    "name": "Content-Range",
    "in": "header",
    "schema": {"type": "string", "pattern": "^[0-9]+-[0-9]+$"},
    "description": "`<start>-<end>` (inclusive) of a non-empty chunk; start must be the "
    "upload's current size.",
}
_UPLOAD_UNKNOWN = registry_error("`BLOB_UPLOAD_UNKNOWN`: no such upload (or it expired).")
_RANGE_INVALID = {
    **registry_error(
        "`BLOB_UPLOAD_INVALID`: the chunk does not start where the upload ends, or does not "
        "match its Content-Range; the headers say where the upload stands."
    ),
    "headers": _UPLOADING,
}


def _write_failures_oci() -> Responses:
    return {"503": registry_error("`UNKNOWN`: the storage refuses writes (read-only).")}


def _oci_too_large() -> Schema:
    return registry_error("`SIZE_INVALID`: body (or the upload) larger than --max-upload-size.")


def _registry_reads(config: Config, paths: dict[str, Schema]) -> list[Route]:
    base = {"200": {"description": "The registry is here and the credentials are good.",
                    "content": content(JSON, ref("schemas", "Empty"))}}  # fmt: skip
    catalog = {"200": json_response("Repository names (paginated).", "Catalog")}
    catalog["200"]["headers"] = _headers(Link="NextLink")
    catalog["400"] = registry_error(_PAGE_INVALID)
    tags = {"200": json_response("The chart's tags (paginated).", "TagList")}
    tags["200"]["headers"] = _headers(Link="NextLink")
    tags["400"] = registry_error(_PAGE_INVALID)
    tags["404"] = registry_error("`NAME_UNKNOWN`: the tenant has no version of the chart.")
    manifest = {
        "200": {"description": "The manifest.", "headers": dict(_DIGEST_HEADERS),
                "content": content(OCI_MANIFEST, ref("schemas", "Manifest"))},
        "400": registry_error("`NAME_INVALID` (not a tag) or `DIGEST_INVALID`."),
        "404": registry_error("`NAME_UNKNOWN` (no such chart) or `MANIFEST_UNKNOWN`."),
    }  # fmt: skip
    blob = {
        "200": {"description": "The blob: the chart package (.tgz) byte for byte, the config "
                "(Chart.yaml metadata as JSON), the provenance file, or an uploaded blob.",
                "headers": dict(_DIGEST_HEADERS),
                "content": content("application/octet-stream", {"type": "string"})},
        "400": registry_error("`DIGEST_INVALID`."),
        "404": registry_error("`BLOB_UNKNOWN`."),
    }  # fmt: skip
    name = "/{name}"
    return [
        Route("registry", "/", "get", "oci_base", "Registry version check", base,
              action=LOGIN, storage=False),
        Route("registry", "/_catalog", "get", "oci_catalog",
              "Repositories the credentials may pull from", catalog, action=LOGIN,
              parameters=_PAGES_OCI),
        Route("registry", f"{name}/tags/list", "get", "oci_tags", "Tags of a chart", tags,
              parameters=_PAGES_OCI, path_schemas=paths),
        Route("registry", f"{name}/manifests/{{reference}}", "get", "oci_get_manifest",
              "A chart version's manifest, by tag or digest", manifest, path_schemas=paths),
        Route("registry", f"{name}/blobs/{{digest}}", "get", "oci_get_blob", "A blob",
              blob, path_schemas=paths),
    ]  # fmt: skip


def _manifest_push(paths: dict[str, Schema]) -> Route:
    body = {
        "required": True,
        "description": "The manifest; its blobs must be uploaded first (or be blobs of the "
        "chart's stored versions).",
        "content": content(OCI_MANIFEST, ref("schemas", "Manifest")),
    }
    responses = {
        "201": {
            "description": "Stored: the chart (and provenance file) as an API upload would, "
            "and the manifest; no body.",
            "headers": _headers(Location="BlobLocation", Docker_Content_Digest="ContentDigest"),
        },
        "400": registry_error(
            "`MANIFEST_INVALID` (not a Helm chart manifest, an invalid chart, wrong chart name "
            "or tag), `MANIFEST_BLOB_UNKNOWN`, `DIGEST_INVALID` (the reference is a digest the "
            "manifest does not have) or `NAME_INVALID` (invalid tag or file name)."
        ),
        "409": registry_error(
            "`DENIED`: another package of that version is stored (without --allow-overwrite), "
            "or the version has a provenance file and the manifest no provenance layer."
        ),
        "413": _oci_too_large(),
        **_write_failures_oci(),
        "507": registry_error(
            "`UNKNOWN`: the storage is full, or (--max-storage-objects) the tenant is."
        ),
    }
    note = "A repeated identical push is accepted; the staged blobs it uses are discarded."
    return Route("registry", "/{name}/manifests/{reference}", "put", "oci_put_manifest",
                 "Push a chart version", responses, action=PUSH, body=body,
                 description=note, path_schemas=paths)  # fmt: skip


def _registry_uploads(paths: dict[str, Schema]) -> list[Route]:
    start_params = [
        _query("digest", {"type": "string", "pattern": DIGEST_PATTERN},
               "Monolithic upload: the body is the whole blob, of this digest."),
        _query("mount", {"type": "string", "pattern": DIGEST_PATTERN},
               "Reuse this blob of the repository `from` (same tenant only)."),
        _query("from", {"type": "string", "pattern": NAME_PATTERN},
               "The repository to mount from."),
    ]  # fmt: skip
    start = {
        "201": {**_CREATED, "description": "Stored (monolithic upload or mount); no body."},
        "202": {"description": "Upload started; continue at Location.", "headers": _UPLOADING},
        "400": registry_error(
            "`DIGEST_INVALID` (malformed, or the body does not have it) or "
            "`BLOB_UPLOAD_INVALID` (a body without `digest`)."
        ),
        "413": _oci_too_large(),
        **_write_failures_oci(),
        "507": registry_error("`UNKNOWN`: the storage is full."),
    }
    status = {
        "204": {"description": "What the upload holds so far.", "headers": _UPLOADING},
        "400": registry_error("`BLOB_UPLOAD_INVALID`: the upload's parts are damaged."),
        "404": _UPLOAD_UNKNOWN,
    }
    patch = {
        "202": {"description": "Chunk stored.", "headers": _UPLOADING},
        "400": registry_error("`BLOB_UPLOAD_INVALID`."),
        "404": _UPLOAD_UNKNOWN,
        "413": _oci_too_large(),
        "416": _RANGE_INVALID,
        **_write_failures_oci(),
        "507": registry_error("`UNKNOWN`: the storage is full."),
    }
    finish_params = [
        {**_query("digest", {"type": "string", "pattern": DIGEST_PATTERN},
                  "Digest of the whole blob."), "required": True},
        _CONTENT_RANGE,
    ]  # fmt: skip
    finish = {
        "201": _CREATED,
        "400": registry_error(
            "`DIGEST_INVALID` (missing, malformed, or the content does not have it) or "
            "`BLOB_UPLOAD_INVALID`."
        ),
        "404": _UPLOAD_UNKNOWN,
        "413": _oci_too_large(),
        "416": _RANGE_INVALID,
        **_write_failures_oci(),
        "507": registry_error("`UNKNOWN`: the storage is full."),
    }
    cancel = {
        "204": {"description": "Upload dropped."},
        "400": registry_error("`BLOB_UPLOAD_INVALID`: the upload's parts are damaged."),
        "404": _UPLOAD_UNKNOWN,
    }
    uploads = "/{name}/blobs/uploads"
    upload = uploads + "/{upload_id}"
    return [
        Route("registry", uploads + "/", "post", "oci_start_upload",
              "Start a blob upload, upload a whole blob, or mount one", start, action=PUSH,
              parameters=start_params, body=_BLOB_BODY, path_schemas=paths),
        Route("registry", upload, "get", "oci_upload_status", "Progress of an upload",
              status, action=PUSH, path_schemas=paths),
        Route("registry", upload, "patch", "oci_patch_upload", "Append a chunk", patch,
              action=PUSH, parameters=[_CONTENT_RANGE], body=_BLOB_BODY,
              path_schemas=paths),
        Route("registry", upload, "put", "oci_finish_upload",
              "Complete an upload (the body, if any, is its last chunk)", finish,
              action=PUSH, parameters=finish_params, body=_BLOB_BODY, path_schemas=paths),
        Route("registry", upload, "delete", "oci_cancel_upload", "Abandon an upload", cancel,
              action=PUSH, path_schemas=paths),
    ]  # fmt: skip


def _read_only(paths: dict[str, Schema]) -> list[Route]:
    """With ``--disable-api`` the push routes stay, open, and answer 405 (read-only)."""
    refused = {"405": registry_error("`UNSUPPORTED`: the registry is read-only (--disable-api).")}
    uploads = "/{name}/blobs/uploads"
    upload = uploads + "/{upload_id}"
    where = [
        ("/{name}/manifests/{reference}", "put", "oci_put_manifest", "Push (refused)"),
        (uploads + "/", "post", "oci_start_upload", "Start an upload (refused)"),
        (upload, "get", "oci_upload_status", "Progress of an upload (refused)"),
        (upload, "patch", "oci_patch_upload", "Append a chunk (refused)"),
        (upload, "put", "oci_finish_upload", "Complete an upload (refused)"),
        (upload, "delete", "oci_cancel_upload", "Abandon an upload (refused)"),
    ]
    return [
        Route("registry", path, method, op_id, summary, refused, action=None, storage=False,
              path_schemas=paths)
        for path, method, op_id, summary in where
    ]  # fmt: skip


def registry_routes(config: Config) -> list[Route]:
    """``/v2/...`` unless ``--disable-oci``: pushes only without ``--disable-api`` (with it
    they answer 405), the manifest DELETE also only without ``--disable-delete``."""
    if config.disable_oci:
        return []
    paths = _registry_paths(config)
    routes = _registry_reads(config, paths)
    if config.disable_api:
        return routes + _read_only(paths)
    routes += [_manifest_push(paths), *_registry_uploads(paths)]
    if not config.disable_delete:
        deleted = {
            "202": {"description": "Deleted (package, provenance file and pushed manifest)."},
            "400": registry_error("`NAME_INVALID` (not a tag) or `DIGEST_INVALID`."),
            "404": registry_error("`NAME_UNKNOWN` (no such chart) or `MANIFEST_UNKNOWN`."),
            **_write_failures_oci(),
        }
        routes.append(Route("registry", "/{name}/manifests/{reference}", "delete",
                            "oci_delete_manifest", "Delete the chart version a tag or digest "
                            "names", deleted, action=PUSH, path_schemas=paths))  # fmt: skip
    return routes


def all_routes(config: Config) -> list[Route]:
    """Every operation the server serves for ``config`` (GET routes also answer HEAD)."""
    routes = server_routes(config) + ui_routes(config) + repo_routes(config)
    return routes + api_routes(config) + registry_routes(config)
