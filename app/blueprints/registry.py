"""``/v2/...``: the OCI distribution API over the tenants' charts (at the server root).

A repository name is ``<tenant path>/<chart>``; tags are chart versions. Pulls need
``pull`` on the tenant, pushes and deletes ``push``; ``/v2/`` and the catalog need any
valid credentials, and the catalog lists only what they may pull.
"""

from __future__ import annotations

import re
from typing import Any
from typing import cast

from flask import Blueprint
from flask import Response
from flask import g
from flask import request

from app.auth import LOGIN
from app.auth import PULL
from app.auth import PUSH
from app.auth import may
from app.auth import requires
from app.errors import BadRequest
from app.errors import BlobUploadInvalid
from app.errors import DigestInvalid
from app.errors import RangeInvalid
from app.errors import RegistryError
from app.http import file_response
from app.http import json_response
from app.oci.names import RegistryName
from app.oci.names import check_digest
from app.oci.names import is_digest
from app.oci.registry import Registry
from app.oci.registry import VersionManifest
from app.options import Config
from app.services import services

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
_RANGE = re.compile(r"(\d+)-(\d+)")


class PaginationInvalid(RegistryError):
    """A bad ``n``: distribution's ``PAGINATION_NUMBER_INVALID`` is not one of the OCI
    spec's codes, which a JSON error body must use."""

    status_code, code, message = 400, "UNSUPPORTED", "invalid number of results"


class ReadOnly(RegistryError):
    """A push route with ``--disable-api``: the registry only serves pulls."""

    status_code, code, message = 405, "UNSUPPORTED", "the registry is read-only (--disable-api)"


class RangeNotSatisfiable(RangeInvalid):
    """A 416 that tells the client where the upload stands (``Range``, ``Location``)."""

    def __init__(self, message: str, upload_id: str, size: int) -> None:
        super().__init__(message)
        self._headers = _upload_headers(upload_id, size)

    def headers(self) -> dict[str, str]:
        return self._headers


def registry() -> Registry:
    """The application's registry."""
    found = services().registry
    assert found is not None  # the routes are mounted only with a registry
    return found


def current() -> RegistryName:
    """The repository the request names."""
    return cast(RegistryName, g.registry)


# -- base, catalog, tags ----------------------------------------------------------------------
@requires(LOGIN)
def base() -> Response:
    """``/v2/``: the registry is here (and the credentials are good)."""
    return json_response({})


@requires(LOGIN)
def catalog() -> Response:
    """Every repository the credentials may pull from, paginated."""
    reg = registry()
    tenants = (
        [""] if not (reg.depth or reg.dynamic) else sorted(reg.repository.engine.existing_repos())
    )
    if reg.dynamic and "" not in tenants:
        tenants.insert(0, "")
    names = []
    for tenant in tenants:
        for chart in reg.repository.index(tenant).chart_names():
            name = f"{tenant}/{chart}" if tenant else chart
            if _reachable(reg, name) and may(PULL, tenant, name):
                names.append(name)
    page, link = _paginate(sorted(names), "/v2/_catalog")
    return json_response({"repositories": page}, headers=link)


def _reachable(reg: Registry, name: str) -> bool:
    try:
        reg.name(name)
    except RegistryError:
        return False
    return True


@requires(PULL)
def tags() -> Response:
    """The chart's tags, paginated with ``n`` and ``last``."""
    name = current()
    page, link = _paginate(registry().tags(name), f"/v2/{name.name}/tags/list")
    return json_response({"name": name.name, "tags": page}, headers=link)


def _paginate(items: list[str], path: str) -> tuple[list[str], dict[str, str]]:
    last = request.args.get("last")
    if last is not None:
        items = [i for i in items if i > last]
    raw = request.args.get("n")
    if raw is None or raw == "":
        return items, {}
    if not (raw.isascii() and raw.isdigit()):  # isdigit() alone takes "²"
        raise PaginationInvalid(f"invalid number of results: {raw[:40]}")
    n = int(raw)
    if n == 0 or len(items) <= n:
        return items[:n], {}
    page = items[:n]
    return page, {"Link": f'<{path}?n={n}&last={page[-1]}>; rel="next"'}


# -- manifests ------------------------------------------------------------------------------------
def _manifest_headers(found: VersionManifest | None, digest: str) -> dict[str, str]:
    headers = {"Docker-Content-Digest": digest, "ETag": f'"{digest}"'}
    if found is not None:
        headers["Content-Type"] = found.manifest.media_type
    return headers


@requires(PULL)
def get_manifest(reference: str) -> Response:
    """A manifest by tag or digest."""
    found = registry().manifest(current(), reference)
    digest = found.manifest.digest
    body = found.manifest.data
    return Response(body, headers=_manifest_headers(found, digest))


@requires(PUSH)
def put_manifest(reference: str) -> Response:
    """Store a pushed chart (validated like an API upload) under a tag or digest."""
    name = current()
    data = request.get_data(cache=False)
    pushed = registry().put_manifest(name, reference, data, request.content_type or "")
    # the spec: "MUST be equal to the client provided digest" (which may be a sha512)
    digest = reference if is_digest(reference) else pushed.digest
    headers = {"Location": f"/v2/{name.name}/manifests/{digest}", "Docker-Content-Digest": digest}
    return Response(status=201, headers=headers)


@requires(PUSH)
def delete_manifest(reference: str) -> Response:
    """Delete the chart version a tag or digest names."""
    registry().delete_manifest(current(), reference)
    return Response(status=202)


# -- blobs ----------------------------------------------------------------------------------------
@requires(PULL)
def get_blob(digest: str) -> Response:
    """A blob: the package itself (sent by the kernel from local storage), the config, the
    provenance file, or an uploaded blob."""
    reg = registry()
    blob = reg.blob(current(), digest)
    headers = {"Docker-Content-Digest": digest, "ETag": f'"{digest}"'}
    kind = "application/octet-stream"
    if blob.file is not None:
        try:
            return file_response(blob.file, kind, headers)
        except OSError:
            pass  # replaced or removed meanwhile: read it through the backend
    return Response(reg.read(blob), headers=headers, content_type=kind)


def _upload_headers(upload_id: str, size: int) -> dict[str, str]:
    return {
        "Location": f"/v2/{current().name}/blobs/uploads/{upload_id}",
        "Docker-Upload-UUID": upload_id,
        "Range": f"0-{max(size - 1, 0)}",
    }


def _created(digest: str) -> Response:
    headers = {"Location": f"/v2/{current().name}/blobs/{digest}", "Docker-Content-Digest": digest}
    return Response(status=201, headers=headers)


@requires(PUSH)
def start_upload() -> Response:
    """Start an upload; with ``?digest=`` the body is the whole blob, with ``?mount=`` a
    blob of another chart of the tenant is reused (otherwise an upload starts)."""
    reg, name = registry(), current()
    mounted = _mount(reg, name)
    if mounted is not None:
        return mounted
    data = request.get_data(cache=False)
    digest = request.args.get("digest")
    if digest is not None:
        reg.staging.put_blob(name.tenant, check_digest(digest), data)
        return _created(digest)
    if data:
        raise BlobUploadInvalid("a blob sent with POST needs ?digest=")
    upload_id = reg.staging.start(name.tenant)
    return Response(status=202, headers=_upload_headers(upload_id, 0))


def _mount(reg: Registry, name: RegistryName) -> Response | None:
    digest, source = request.args.get("mount"), request.args.get("from")
    if not digest or not source:
        return None
    try:
        origin = reg.name(source)
        check_digest(digest)
        if origin.tenant != name.tenant or not may(PULL, origin.tenant, origin.name):
            return None  # another tenant's blob, or one the client may not read: upload it
        blob = reg.blob(origin, digest)
        if origin != name:
            reg.staging.put_blob(name.tenant, digest, reg.read(blob))
    except (RegistryError, BadRequest):  # e.g. a source name the storage cannot hold
        return None
    return _created(digest)


@requires(PUSH)
def upload_status(upload_id: str) -> Response:
    """How much of an upload was received."""
    size = registry().staging.size(current().tenant, upload_id)
    return Response(status=204, headers=_upload_headers(upload_id, size))


def _chunk_start(data: bytes) -> int | None:
    header = request.headers.get("Content-Range")
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise RangeInvalid(f"invalid Content-Range: {header[:80]}")
    start, end = int(match[1]), int(match[2])
    if end < start or end - start + 1 != len(data):
        raise RangeInvalid(f"Content-Range {header[:80]} does not match {len(data)} bytes")
    return start


def _out_of_order(upload_id: str, exc: RangeInvalid) -> RangeNotSatisfiable:
    """The 416 for ``exc``, with the upload's current ``Range`` (the spec's 416 says where
    to resume)."""
    size = registry().staging.size(current().tenant, upload_id)
    return RangeNotSatisfiable(exc.text, upload_id, size)


@requires(PUSH)
def patch_upload(upload_id: str) -> Response:
    """Append a chunk (``Content-Range: start-end`` when given must follow on)."""
    data = request.get_data(cache=False)
    try:
        start = _chunk_start(data) if data else None
        size = registry().staging.append(current().tenant, upload_id, data, start)
    except RangeInvalid as exc:
        raise _out_of_order(upload_id, exc) from exc
    return Response(status=202, headers=_upload_headers(upload_id, size))


@requires(PUSH)
def finish_upload(upload_id: str) -> Response:
    """Complete an upload with ``?digest=`` (the body, if any, is its last chunk)."""
    digest = request.args.get("digest")
    if not digest:
        raise DigestInvalid("completing an upload needs ?digest=")
    check_digest(digest)
    data = request.get_data(cache=False)
    staging = registry().staging
    if data:
        try:
            staging.append(current().tenant, upload_id, b"", _chunk_start(data))
        except RangeInvalid as exc:
            raise _out_of_order(upload_id, exc) from exc
    staging.finish(current().tenant, upload_id, data, digest)
    return _created(digest)


@requires(PUSH)
def cancel_upload(upload_id: str) -> Response:
    """Abandon an upload."""
    registry().staging.cancel(current().tenant, upload_id)
    return Response(status=204)


def _read_only(**_: str) -> Response:
    """Every push route with ``--disable-api``."""
    raise ReadOnly()


def make_blueprint(config: Config, reg: Registry) -> Blueprint:
    """The registry routes; pushes only with the API on, deletes unless disabled."""
    bp = Blueprint("registry", __name__)
    bp.record_once(lambda state: state.app.config.__setitem__("REGISTRY", True))
    sweeps = not config.disable_api  # a read-only registry has nothing to expire

    @bp.url_value_preprocessor
    def _name(endpoint: str | None, values: dict[str, Any] | None) -> None:
        raw = values.pop("name", None) if values else None
        if raw is None:
            return
        try:
            g.registry = reg.name(raw)
        except RegistryError as exc:
            # raised once the request is counted, logged and authorized (before_request
            # hooks run after every url_value_preprocessor)
            g.registry_error = exc
            return
        g.registry_name = raw
        g.repo = g.registry.tenant

    @bp.before_request
    def _named() -> None:
        error = g.pop("registry_error", None)
        if error is not None:
            raise error
        name = g.get("registry")
        if sweeps and name is not None:
            # expired uploads and staged blobs go on any registry request of their tenant,
            # not only when another upload starts (at most once a minute per process)
            reg.staging.sweep_soon(name.tenant)

    @bp.after_request
    def _version(response: Response) -> Response:
        response.headers.update(API_VERSION)
        return response

    name = "/<path:name>"
    bp.add_url_rule("/", "base", base, methods=["GET"])
    bp.add_url_rule("/_catalog", "catalog", catalog, methods=["GET"])
    bp.add_url_rule(f"{name}/tags/list", "tags", tags, methods=["GET"])
    bp.add_url_rule(f"{name}/manifests/<reference>", "get_manifest", get_manifest, methods=["GET"])
    bp.add_url_rule(f"{name}/blobs/<digest>", "get_blob", get_blob, methods=["GET"])
    uploads = f"{name}/blobs/uploads"
    if config.disable_api:
        bp.add_url_rule(
            f"{name}/manifests/<reference>", "put_manifest", _read_only, methods=["PUT"]
        )
        bp.add_url_rule(f"{uploads}/", "start_upload", _read_only, methods=["POST"])
        bp.add_url_rule(
            f"{uploads}/<upload_id>",
            "upload",
            _read_only,
            methods=["GET", "PATCH", "PUT", "DELETE"],
        )
        return bp
    bp.add_url_rule(f"{name}/manifests/<reference>", "put_manifest", put_manifest, methods=["PUT"])
    bp.add_url_rule(f"{uploads}/", "start_upload", start_upload, methods=["POST"])
    bp.add_url_rule(f"{uploads}/<upload_id>", "upload_status", upload_status, methods=["GET"])
    bp.add_url_rule(f"{uploads}/<upload_id>", "patch_upload", patch_upload, methods=["PATCH"])
    bp.add_url_rule(f"{uploads}/<upload_id>", "finish_upload", finish_upload, methods=["PUT"])
    bp.add_url_rule(f"{uploads}/<upload_id>", "cancel_upload", cancel_upload, methods=["DELETE"])
    if not config.disable_delete:
        manifest = f"{name}/manifests/<reference>"
        bp.add_url_rule(manifest, "delete_manifest", delete_manifest, methods=["DELETE"])
    return bp
