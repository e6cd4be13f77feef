"""One error hierarchy, rendered as ChartMuseum's ``{"error": "..."}`` bodies in one place."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from typing import ClassVar

from werkzeug.exceptions import HTTPException

from backends.base import InvalidName
from backends.base import NameClash
from backends.base import ObjectExists
from backends.base import ObjectNotFound
from backends.base import ReadOnlyStorage
from backends.base import StorageError
from backends.base import StorageFull

if TYPE_CHECKING:
    from flask import Flask
    from flask import Response

log = logging.getLogger("chartmuseum")


class ConfigError(Exception):
    """An invalid option or config file: startup stops with this message and exit code 1."""


class ChartMuseumError(Exception):
    """Base of every error that becomes an HTTP response."""

    status_code: ClassVar[int] = 500
    message: ClassVar[str] = "internal server error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)

    @property
    def text(self) -> str:
        """The message sent in the JSON body."""
        return str(self.args[0])

    def headers(self) -> dict[str, str]:
        """Extra response headers for this error."""
        return {}


class BadRequest(ChartMuseumError):
    status_code = 400
    message = "bad request"


class NotFound(ChartMuseumError):
    status_code = 404
    message = "not found"


class Conflict(ChartMuseumError):
    status_code = 409
    message = "file already exists"


class PayloadTooLarge(ChartMuseumError):
    status_code = 413
    message = "request too large"


class InsufficientStorage(ChartMuseumError):
    status_code = 507
    message = "repo has reached storage limit"


class ServerError(ChartMuseumError):
    status_code = 500


class ServiceUnavailable(ChartMuseumError):
    status_code = 503
    message = "service unavailable"


# -- the OCI distribution routes: errors carry the spec's code -------------------------------
class RegistryError(ChartMuseumError):
    """An error of the ``/v2/`` routes; ``code`` is the distribution spec's error code."""

    code: ClassVar[str] = "UNSUPPORTED"


class BlobUnknown(RegistryError):
    status_code, code, message = 404, "BLOB_UNKNOWN", "blob unknown to registry"


class BlobUploadInvalid(RegistryError):
    status_code, code, message = 400, "BLOB_UPLOAD_INVALID", "blob upload invalid"


class RangeInvalid(BlobUploadInvalid):
    status_code = 416


class BlobUploadUnknown(RegistryError):
    status_code, code, message = 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"


class DigestInvalid(RegistryError):
    status_code, code, message = 400, "DIGEST_INVALID", "provided digest did not match content"


class ManifestBlobUnknown(RegistryError):
    status_code, code, message = 400, "MANIFEST_BLOB_UNKNOWN", "manifest references an unknown blob"


class ManifestInvalid(RegistryError):
    status_code, code, message = 400, "MANIFEST_INVALID", "manifest invalid"


class ManifestUnknown(RegistryError):
    status_code, code, message = 404, "MANIFEST_UNKNOWN", "manifest unknown"


class NameInvalid(RegistryError):
    status_code, code, message = 400, "NAME_INVALID", "invalid repository name"


class NameUnknown(RegistryError):
    status_code, code, message = 404, "NAME_UNKNOWN", "repository name not known to registry"


class SizeInvalid(RegistryError):
    status_code, code, message = 400, "SIZE_INVALID", "provided length did not match content length"


class BlobTooLarge(SizeInvalid):
    status_code, message = 413, "blob larger than --max-upload-size"


class Denied(RegistryError):
    status_code, code, message = 409, "DENIED", "requested access to the resource is denied"


class Unsupported(RegistryError):
    status_code, code, message = 415, "UNSUPPORTED", "the operation is unsupported"


#: the spec's code for an error raised by shared code (chart checks, storage, auth)
_REGISTRY_CODES = {
    400: "NAME_INVALID", 401: "UNAUTHORIZED", 403: "DENIED", 404: "NAME_UNKNOWN",
    405: "UNSUPPORTED", 409: "DENIED", 413: "SIZE_INVALID", 429: "TOOMANYREQUESTS",
}  # fmt: skip
#: where the registry routes live (always at the server root)
REGISTRY_ROOT = "/v2"


def storage_failure(exc: StorageError, conflict: str = "file already exists") -> ChartMuseumError:
    """The HTTP error for a storage failure.

    A read-only store is 503: the server is fine and will take writes again once the store
    does, while 507 means "out of space", which is what a full store gets.
    """
    if isinstance(exc, InvalidName):
        return BadRequest(str(exc))
    if isinstance(exc, NameClash):
        return Conflict("a repository and a file have the same name")
    if isinstance(exc, ObjectExists):
        return Conflict(conflict)
    if isinstance(exc, ObjectNotFound):
        return NotFound(str(exc))
    if isinstance(exc, ReadOnlyStorage):
        error: ChartMuseumError = ServiceUnavailable("storage is read-only")
    elif isinstance(exc, StorageFull):
        error = InsufficientStorage("storage is full")
    else:
        error = ServerError(str(exc))
    log.error("Storage error", extra={"fields": {"error": str(exc)}})  # the 5xx cases only
    return error


def is_registry_request() -> bool:
    """Whether the current request is for the OCI registry routes (which answer errors in
    the distribution spec's shape)."""
    from flask import current_app
    from flask import has_request_context
    from flask import request

    if not has_request_context() or not current_app.config.get("REGISTRY"):
        return False
    path = request.path
    return path == REGISTRY_ROOT or path.startswith(REGISTRY_ROOT + "/")


def json_error(
    status: int, message: str, headers: dict[str, str] | None = None, code: str = ""
) -> Response:
    """Build a ``{"error": message}`` response with Go-compatible JSON encoding; on the
    registry routes ``{"errors": [{"code": ..., "message": ...}]}`` (``code`` defaults to
    the spec's code for ``status``)."""
    from app.http import json_response

    if is_registry_request():
        code = code or _REGISTRY_CODES.get(status, "UNKNOWN")
        return json_response({"errors": [{"code": code, "message": message}]}, status, headers)
    return json_response({"error": message}, status, headers)


def register_error_handlers(app: Flask) -> None:
    """Map every error (ours and werkzeug's routing errors) to the JSON error shape."""

    @app.errorhandler(ChartMuseumError)
    def _ours(exc: ChartMuseumError) -> Response:
        if isinstance(exc, PayloadTooLarge) and not is_registry_request():
            from app.http import too_large_response

            return too_large_response()
        code = exc.code if isinstance(exc, RegistryError) else ""
        return json_error(exc.status_code, exc.text, exc.headers(), code)

    @app.errorhandler(StorageError)
    def _storage(exc: StorageError) -> Response:
        error = storage_failure(exc)
        return json_error(error.status_code, error.text, error.headers())

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = exc.code or 500
        if code == 413 and not is_registry_request():
            from app.http import too_large_response

            return too_large_response()
        message = {404: "not found", 405: "method not allowed"}.get(code, exc.description or "")
        kept = {"Allow", "WWW-Authenticate", "Retry-After"}  # e.g. a 405's Allow (RFC 9110)
        headers = {k: v for k, v in exc.get_headers() if k in kept}
        return json_error(code, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error: %s", exc)
        return json_error(500, "internal server error")
