"""Baidu Object Storage (BOS), through ``bce-python-sdk`` (``baidubce``, imported on first use).

Choices made here:

* Listing is ``ListObjects`` on ``<prefix>/<folder>/`` with delimiter ``/``, 1,000 keys a page,
  following ``nextMarker``: exactly the objects directly in the folder (ChartMuseum matched the
  textual prefix ``<prefix>/<folder>``, so ``org1x.tgz`` leaked into tenant ``org1``).
* Create-if-absent is BOS's conditional write, ``PutObject`` with ``If-None-Match: *``
  (``cond_read_write``): 412 ``PreconditionFailed`` means the object exists.
* BOS times have one-second precision (listing ISO 8601, ``Last-Modified`` RFC 1123), so all
  three agree; put returns the time a HEAD reports after the write.
* ``DeleteObject`` answers 404 ``NoSuchKey`` for a missing key, which becomes ObjectNotFound.
* Credentials: ``BAIDU_CLOUD_ACCESS_KEY_ID`` and ``BAIDU_CLOUD_ACCESS_KEY_SECRET`` (a startup
  error when missing, where ChartMuseum panics). An endpoint without a scheme (the default
  ``bj.bcebos.com``) is reached over HTTPS, whereas the SDK would default to plain HTTP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from backends.base import BackendConfigError
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject
from backends.base import folder_key
from backends.base import object_key
from backends.clients import PerThread
from backends.settings import BackendSettings
from backends.settings import option

_NS = 1_000_000_000
DEFAULT_ENDPOINT = "bj.bcebos.com"
KEY_ENV, SECRET_ENV = "BAIDU_CLOUD_ACCESS_KEY_ID", "BAIDU_CLOUD_ACCESS_KEY_SECRET"


def _sdk() -> dict[str, Any]:
    """The SDK classes used here, or BackendUnavailable."""
    try:
        from baidubce.auth.bce_credentials import BceCredentials
        from baidubce.bce_client_configuration import BceClientConfiguration
        from baidubce.exception import BceError
        from baidubce.services.bos.bos_client import BosClient
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend baidu needs: pip install 'chartmuseum[baidu]' ({exc})"
        ) from exc
    return {
        "credentials": BceCredentials,
        "configuration": BceClientConfiguration,
        "client": BosClient,
        "error": BceError,
    }


def _errors() -> tuple[type[Exception], ...]:
    """SDK errors, plus the ValueError it raises for invalid bucket names or keys."""
    return (_sdk()["error"], ValueError)


def _status(exc: Exception) -> tuple[int, str]:
    """HTTP status and BOS error code of an SDK error (0 and "" when there are none)."""
    last = getattr(exc, "last_error", None)
    status = getattr(exc, "status_code", None) or getattr(last, "status_code", None) or 0
    code = getattr(exc, "code", None) or getattr(last, "code", None) or ""
    return int(status), code.decode() if isinstance(code, bytes) else str(code)


def _error(op: str, path: str, exc: Exception) -> StorageError:
    status, code = _status(exc)
    last = getattr(exc, "last_error", None) or exc
    detail = f"{status} {code}".strip() if status else str(last).splitlines()[0][:200]
    return StorageError(f"bos {op} {path}: {detail or type(exc).__name__}")


def _seconds_ns(value: datetime) -> int:
    return int(value.timestamp()) * _NS


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class BaiduSettings(BackendSettings, backend="baidu"):
    """``--storage-baidu-*``."""

    bucket: str = option("", "BOS bucket")
    prefix: str = option("", "BOS prefix")
    endpoint: str = option("", "BOS endpoint")


class BaiduBOSBackend(StorageBackend):
    """Objects are keys ``<prefix>/<path>`` in one BOS bucket."""

    name = "baidu"
    max_key_bytes = 1024  # BOS: object names up to 1,024 bytes
    settings_type = BaiduSettings

    def __init__(
        self, bucket: str, prefix: str, endpoint: str, credentials: tuple[str, str]
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self._credentials = credentials
        self._clients: PerThread[Any] = PerThread(self._make_client)

    @classmethod
    def from_config(cls, settings: BaiduSettings) -> BaiduBOSBackend:
        """The settings and the ``BAIDU_CLOUD_ACCESS_KEY_*`` env vars."""
        if not settings.bucket:
            raise BackendConfigError("Missing required flags(s): --storage-baidu-bucket")
        key, secret = os.environ.get(KEY_ENV, ""), os.environ.get(SECRET_ENV, "")
        if not key or not secret:
            raise BackendConfigError(
                f"baidu storage: credentials missing: set {KEY_ENV} and {SECRET_ENV}"
            )
        endpoint = settings.endpoint or DEFAULT_ENDPOINT
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        return cls(settings.bucket, settings.prefix, endpoint, (key, secret))

    def _client(self) -> Any:
        """A BosClient per process and thread."""
        return self._clients.get()

    def _make_client(self) -> Any:
        sdk = _sdk()
        configuration = sdk["configuration"](
            credentials=sdk["credentials"](*self._credentials),
            endpoint=self.endpoint,
            connection_timeout_in_mills=60_000,
        )
        return sdk["client"](configuration)

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix`` (delimiter ``/``, every page)."""
        folder = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        marker = None
        try:
            while True:
                page = self._client().list_objects(
                    self.bucket, max_keys=1000, prefix=folder, marker=marker, delimiter="/"
                )
                for item in page.contents or []:
                    name = _text(item.key)[len(folder) :]
                    if name and "/" not in name:
                        modified = datetime.fromisoformat(_text(item.last_modified))
                        found.append(ObjectInfo(name, _seconds_ns(modified), int(item.size)))
                if not page.is_truncated:
                    return found
                marker = page.next_marker
        except _errors() as exc:
            raise _error("list", folder, exc) from exc

    def _head(self, path: str) -> ObjectInfo | None:
        try:
            meta = self._client().get_object_meta_data(self.bucket, self._key(path)).metadata
        except _errors() as exc:
            if _status(exc)[0] == 404:
                return None
            raise _error("head", path, exc) from exc
        modified = parsedate_to_datetime(_text(meta.last_modified))
        return ObjectInfo(path, _seconds_ns(modified), int(meta.content_length))

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HEAD the object (``get_object_meta_data``)."""
        return self._head(path)

    def get_object(self, path: str) -> StoredObject:
        """GetObject; the time is its ``Last-Modified``."""
        try:
            response = self._client().get_object(self.bucket, self._key(path))
            try:
                content = response.data.read()
            finally:
                response.data.close()
        except _errors() as exc:
            if _status(exc)[0] == 404:
                raise ObjectNotFound(f"{path}: NoSuchKey") from exc
            raise _error("get", path, exc) from exc
        modified = parsedate_to_datetime(_text(response.metadata.last_modified))
        return StoredObject(path, content, _seconds_ns(modified))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """One PutObject; without ``overwrite`` it carries ``If-None-Match: *``."""
        condition = None if overwrite else {"If-None-Match": "*"}
        try:
            self._client().put_object_from_string(
                self.bucket, self._key(path), content, cond_read_write=condition
            )
        except _errors() as exc:
            if not overwrite and _status(exc)[0] == 412:
                raise ObjectExists(path) from exc
            raise _error("put", path, exc) from exc
        info = self._head(path)
        if info is None:
            raise StorageError(f"bos put {path}: the object vanished after the write")
        return info

    def delete_object(self, path: str) -> None:
        """DeleteObject (404 ``NoSuchKey`` for a missing object)."""
        try:
            self._client().delete_object(self.bucket, self._key(path))
        except _errors() as exc:
            if _status(exc)[0] == 404:
                raise ObjectNotFound(f"{path}: NoSuchKey") from exc
            raise _error("delete", path, exc) from exc

    def describe(self) -> str:
        """``baidu:bos://<bucket>/<prefix>``."""
        return f"baidu:bos://{self.bucket}/{self.prefix}"
