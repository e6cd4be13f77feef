"""Alibaba Cloud OSS, through oss2 (imported on first use).

Choices made here:

* The endpoint defaults to ChartMuseum's ``oss-cn-hangzhou.aliyuncs.com``. Without a
  scheme it is reached over HTTPS (oss2 alone would use plain HTTP); ``http://...`` is
  honoured (emulators). An IP endpoint gives path-style URLs, a host name virtual-host ones.
* Requests are signed with signature V4 when the region can be read from an
  ``oss-<region>[-internal].aliyuncs.com`` endpoint, else with V1 (custom domains,
  emulators), which is what ChartMuseum always used.
* Listing is ListObjects (v1) on ``<prefix>/<folder>/`` with delimiter ``/``, 1000 keys a
  page, every page: exactly the objects directly in the folder.
* Create-if-absent is ``x-oss-forbid-overwrite: true`` on PutObject: OSS answers 409
  ``FileAlreadyExists`` atomically. OSS ignores that header on buckets with versioning
  enabled or suspended: use an unversioned bucket.
* ``--storage-alibaba-sse`` (``AES256`` or ``KMS``) is sent as ``x-oss-server-side-encryption``.
* OSS times have one-second precision everywhere; put returns the time a HEAD reports.
* DeleteObject succeeds on missing keys, so delete checks with a HEAD first.
* One ``oss2.Bucket`` per thread and process: its HTTP session is not documented as
  thread-safe, and sessions must not cross gunicorn's fork.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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

DEFAULT_ENDPOINT = "oss-cn-hangzhou.aliyuncs.com"
KEY_ID_ENV = "ALIBABA_CLOUD_ACCESS_KEY_ID"
SECRET_ENV = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
_NS = 1_000_000_000
_PAGE = 1000
_REGION_HOST = re.compile(r"oss-(?!accelerate)([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com")


def _sdk() -> Any:
    """The oss2 module, or BackendUnavailable."""
    try:
        import oss2
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend alibaba needs: pip install 'chartmuseum[alibaba]' ({exc})"
        ) from exc
    return oss2


def _oss_error() -> type[Exception]:
    error: type[Exception] = _sdk().exceptions.OssError
    return error


def region_of(endpoint: str) -> str:
    """The OSS region named by an ``oss-<region>.aliyuncs.com`` endpoint, else ``""``."""
    match = _REGION_HOST.fullmatch(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else ""


@dataclass(frozen=True)
class AlibabaSettings(BackendSettings, backend="alibaba"):
    """``--storage-alibaba-*``."""

    bucket: str = option("", "OSS bucket")
    prefix: str = option("", "OSS prefix")
    endpoint: str = option("", "OSS endpoint")
    sse: str = option("", "OSS server-side encryption (AES256 or KMS)")


class AlibabaOSSBackend(StorageBackend):
    """Objects are keys ``<prefix>/<path>`` in one OSS bucket."""

    name = "alibaba"
    max_key_bytes = 1023  # OSS: object names of 1 to 1,023 bytes of UTF-8
    settings_type = AlibabaSettings

    def __init__(
        self,
        bucket: str,
        key_id: str,
        secret: str,
        prefix: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
        sse: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint if "://" in endpoint else "https://" + endpoint
        self.sse = sse
        self._credentials = (key_id, secret)
        self._buckets: PerThread[Any] = PerThread(self._make_bucket)

    @classmethod
    def from_config(cls, settings: AlibabaSettings) -> AlibabaOSSBackend:
        """The settings and the ``ALIBABA_CLOUD_ACCESS_KEY_*`` env vars."""
        if not settings.bucket:
            raise BackendConfigError("Missing required flags(s): --storage-alibaba-bucket")
        key_id, secret = os.environ.get(KEY_ID_ENV, ""), os.environ.get(SECRET_ENV, "")
        if not key_id or not secret:
            raise BackendConfigError(
                f"alibaba storage needs the {KEY_ID_ENV} and {SECRET_ENV} environment variables"
            )
        _sdk()  # fail at startup, not at first use, when the SDK is missing
        return cls(
            bucket=settings.bucket,
            key_id=key_id,
            secret=secret,
            prefix=settings.prefix,
            endpoint=settings.endpoint or DEFAULT_ENDPOINT,
            sse=settings.sse,
        )

    def _bucket(self) -> Any:
        """This thread's ``oss2.Bucket`` (made again after a fork)."""
        return self._buckets.get()

    def _make_bucket(self) -> Any:
        oss2 = _sdk()
        region = region_of(self.endpoint)
        if region:
            provider = oss2.credentials.StaticCredentialsProvider(*self._credentials)
            auth = oss2.ProviderAuthV4(provider)
        else:
            auth = oss2.Auth(*self._credentials)
        return oss2.Bucket(auth, self.endpoint, self.bucket, region=region or None)

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    @staticmethod
    def _error(op: str, path: str, exc: Exception) -> StorageError:
        code, message = getattr(exc, "code", ""), getattr(exc, "message", "")
        detail = f"{code}: {message}".strip(": ") or str(getattr(exc, "body", "") or exc)
        return StorageError(f"oss {op} {path}: {detail}")

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix`` (ListObjects, delimiter ``/``, every page)."""
        folder = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        marker = ""
        try:
            while True:
                page = self._bucket().list_objects(folder, "/", marker, _PAGE)
                for item in page.object_list:
                    name = item.key[len(folder) :]
                    if name and "/" not in name:
                        found.append(ObjectInfo(name, int(item.last_modified) * _NS, item.size))
                if not page.is_truncated:
                    return found
                marker = page.next_marker
        except _oss_error() as exc:
            raise self._error("list", prefix, exc) from exc

    def get_object(self, path: str) -> StoredObject:
        """GetObject; 404 becomes :class:`ObjectNotFound`."""
        try:
            result = self._bucket().get_object(self._key(path))
            content = result.read()
        except _oss_error() as exc:
            if getattr(exc, "status", 0) == 404:
                raise ObjectNotFound(f"{path}: no such object") from exc
            raise self._error("get", path, exc) from exc
        return StoredObject(path, content, int(result.last_modified) * _NS)

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HeadObject; None when absent."""
        try:
            head = self._bucket().head_object(self._key(path))
        except _oss_error() as exc:
            if getattr(exc, "status", 0) == 404:
                return None
            raise self._error("stat", path, exc) from exc
        return ObjectInfo(path, int(head.last_modified) * _NS, int(head.content_length))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """PutObject; without ``overwrite`` it sends ``x-oss-forbid-overwrite: true``."""
        headers = {}
        if self.sse:
            headers["x-oss-server-side-encryption"] = self.sse
        if not overwrite:
            headers["x-oss-forbid-overwrite"] = "true"
        try:
            self._bucket().put_object(self._key(path), content, headers=headers)
        except _oss_error() as exc:
            if getattr(exc, "code", "") == "FileAlreadyExists":
                raise ObjectExists(path) from exc
            raise self._error("put", path, exc) from exc
        return self.stored_info(path, len(content))

    def delete_object(self, path: str) -> None:
        """HeadObject (DeleteObject cannot tell a missing key), then DeleteObject."""
        self.require_object(path)
        try:
            self._bucket().delete_object(self._key(path))
        except _oss_error() as exc:
            raise self._error("delete", path, exc) from exc

    def describe(self) -> str:
        """``alibaba:oss://bucket/prefix at <endpoint>``."""
        return f"alibaba:oss://{self.bucket}/{self.prefix} at {self.endpoint}"
