"""Tencent Cloud COS, through cos-python-sdk-v5 (``qcloud_cos``, imported on first use).

Choices made here:

* The endpoint defaults to ChartMuseum's ``cos.ap-guangzhou.myqcloud.com``. Requests go to
  ``https://<bucket>.<endpoint>/<key>``: HTTPS by default, where ChartMuseum used plain
  HTTP. ``http://`` or ``https://`` in the endpoint chooses the scheme (``http://`` is
  meant for emulators). When the endpoint host is an IP address or ``localhost``, the SDK
  connects to it directly and sends ``Host: <bucket>.<endpoint>``.
* Listing is GET Bucket (v1) on ``<prefix>/<folder>/`` with delimiter ``/`` and URL-encoded
  keys, 1000 keys a page, every page: exactly the objects directly in the folder.
* Create-if-absent is ``x-cos-forbid-overwrite: true`` on PUT Object: COS answers 409
  ``FileAlreadyExists`` atomically. COS ignores that header on buckets where versioning
  was ever enabled: use an unversioned bucket. The SDK only passes custom headers through
  its ``Metadata`` argument, which is how the header is sent.
* Errors are told apart by HTTP status: the SDK reports the code ``Unknown`` when an error
  body lacks some elements. ``Last-Modified`` headers are read case-insensitively.
* COS times have one-second precision; listing times are floored to match, and put
  returns the time a HEAD reports. Delete checks with a HEAD first (COS deletes silently).
* One ``CosS3Client`` per thread and process (its HTTP session is not documented as
  thread-safe, and sessions must not cross gunicorn's fork).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote
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

DEFAULT_ENDPOINT = "cos.ap-guangzhou.myqcloud.com"
SECRET_ID_ENV = "TENCENT_CLOUD_COS_SECRET_ID"
SECRET_KEY_ENV = "TENCENT_CLOUD_COS_SECRET_KEY"
_NS = 1_000_000_000
_PAGE = 1000


def _sdk() -> Any:
    """The ``qcloud_cos`` module, or BackendUnavailable."""
    try:
        import qcloud_cos
        import qcloud_cos.cos_exception
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend tencent needs: pip install 'chartmuseum[tencent]' ({exc})"
        ) from exc
    return qcloud_cos


def _cos_errors() -> tuple[type[Exception], ...]:
    errors = _sdk().cos_exception
    return (errors.CosServiceError, errors.CosClientError)


def _header(headers: dict[str, Any], name: str) -> str:
    """A response header, whatever its case."""
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "")


def _http_date_ns(value: str) -> int:
    try:
        return int(parsedate_to_datetime(value).timestamp()) * _NS
    except (TypeError, ValueError) as exc:
        raise StorageError(f"cos: unparsable Last-Modified {value!r}") from exc


def _iso_ns(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp()) * _NS


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """``(scheme, host[:port])`` of an endpoint; HTTPS unless it says ``http://``."""
    parts = urlsplit(endpoint if "://" in endpoint else "https://" + endpoint)
    return parts.scheme.lower(), parts.netloc


def _is_address(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class TencentSettings(BackendSettings, backend="tencent"):
    """``--storage-tencent-*``."""

    bucket: str = option("", "COS bucket")
    prefix: str = option("", "COS prefix")
    endpoint: str = option("", "COS endpoint")


class TencentCOSBackend(StorageBackend):
    """Objects are keys ``<prefix>/<path>`` in one COS bucket (``<name>-<appid>``)."""

    name = "tencent"
    max_key_bytes = 850  # COS: object keys up to 850 bytes of UTF-8
    settings_type = TencentSettings

    def __init__(
        self,
        bucket: str,
        secret_id: str,
        secret_key: str,
        prefix: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.scheme, self.host = split_endpoint(endpoint)
        self._credentials = (secret_id, secret_key)
        self._clients: PerThread[Any] = PerThread(self._make_client)

    @classmethod
    def from_config(cls, settings: TencentSettings) -> TencentCOSBackend:
        """The settings and the ``TENCENT_CLOUD_COS_SECRET_*`` env vars."""
        if not settings.bucket:
            raise BackendConfigError("Missing required flags(s): --storage-tencent-bucket")
        secret_id = os.environ.get(SECRET_ID_ENV, "")
        secret_key = os.environ.get(SECRET_KEY_ENV, "")
        if not secret_id or not secret_key:
            raise BackendConfigError(
                f"tencent storage needs the {SECRET_ID_ENV} and {SECRET_KEY_ENV} "
                "environment variables"
            )
        endpoint = settings.endpoint or DEFAULT_ENDPOINT
        scheme, host = split_endpoint(endpoint)
        if scheme not in ("http", "https") or not host:
            raise BackendConfigError(f"--storage-tencent-endpoint: invalid endpoint {endpoint!r}")
        _sdk()  # fail at startup, not at first use, when the SDK is missing
        return cls(
            bucket=settings.bucket,
            secret_id=secret_id,
            secret_key=secret_key,
            prefix=settings.prefix,
            endpoint=endpoint,
        )

    def _client(self) -> Any:
        """This thread's ``CosS3Client`` (made again after a fork)."""
        return self._clients.get()

    def _make_client(self) -> Any:
        cos = _sdk()
        options: dict[str, Any] = {"Endpoint": self.host, "Scheme": self.scheme}
        address = urlsplit(f"{self.scheme}://{self.host}")
        if _is_address(address.hostname or ""):
            options.update(IP=address.hostname, Port=address.port)
        secret_id, secret_key = self._credentials
        config = cos.CosConfig(SecretId=secret_id, SecretKey=secret_key, Timeout=60, **options)
        return cos.CosS3Client(config, retry=1)

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    @staticmethod
    def _status(exc: Exception) -> int:
        getter = getattr(exc, "get_status_code", None)
        return int(getter() or 0) if getter else 0

    @classmethod
    def _exists_error(cls, exc: Exception) -> bool:
        """409 ``FileAlreadyExists`` (or 409 with an error body the SDK could not read)."""
        code_of = getattr(exc, "get_error_code", None)
        code = code_of() if code_of else ""
        return cls._status(exc) == 409 and code in ("FileAlreadyExists", "Unknown", "")

    @staticmethod
    def _error(op: str, path: str, exc: Exception) -> StorageError:
        code_of = getattr(exc, "get_error_code", None)
        if code_of is not None:
            detail = f"{exc.get_status_code()} {code_of()}: {exc.get_error_msg()}"  # type: ignore[attr-defined]
        else:
            detail = str(exc)
        return StorageError(f"cos {op} {path}: {detail}")

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix`` (GET Bucket, delimiter ``/``, every page)."""
        folder = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        marker = ""
        try:
            while True:
                page = self._client().list_objects(
                    Bucket=self.bucket,
                    Prefix=folder,
                    Delimiter="/",
                    Marker=marker,
                    MaxKeys=_PAGE,
                    EncodingType="url",
                )
                found += self._page_objects(page, folder)
                if str(page.get("IsTruncated", "false")).lower() != "true":
                    return found
                marker = self._next_marker(page)
        except _cos_errors() as exc:
            raise self._error("list", prefix, exc) from exc

    @staticmethod
    def _page_objects(page: dict[str, Any], folder: str) -> list[ObjectInfo]:
        found = []
        for item in page.get("Contents", []):
            name = unquote(item["Key"])[len(folder) :]
            if name and "/" not in name:
                found.append(ObjectInfo(name, _iso_ns(item["LastModified"]), int(item["Size"])))
        return found

    @staticmethod
    def _next_marker(page: dict[str, Any]) -> str:
        if page.get("NextMarker"):
            return unquote(str(page["NextMarker"]))
        keys = [c["Key"] for c in page.get("Contents", [])]
        keys += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not keys:
            raise StorageError("cos list: truncated page without a marker")
        return unquote(max(keys))

    def get_object(self, path: str) -> StoredObject:
        """GET Object; 404 becomes :class:`ObjectNotFound`."""
        try:
            resp = self._client().get_object(Bucket=self.bucket, Key=self._key(path))
            content = resp["Body"].get_raw_stream().read()
        except _cos_errors() as exc:
            if self._status(exc) == 404:
                raise ObjectNotFound(f"{path}: no such object") from exc
            raise self._error("get", path, exc) from exc
        return StoredObject(path, content, _http_date_ns(_header(resp, "Last-Modified")))

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HEAD Object; None when absent."""
        try:
            head = self._client().head_object(Bucket=self.bucket, Key=self._key(path))
        except _cos_errors() as exc:
            if self._status(exc) == 404:
                return None
            raise self._error("stat", path, exc) from exc
        modified = _http_date_ns(_header(head, "Last-Modified"))
        return ObjectInfo(path, modified, int(_header(head, "Content-Length") or 0))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """PUT Object; without ``overwrite`` it sends ``x-cos-forbid-overwrite: true``."""
        extra = {} if overwrite else {"Metadata": {"x-cos-forbid-overwrite": "true"}}
        try:
            self._client().put_object(
                Bucket=self.bucket, Key=self._key(path), Body=content, **extra
            )
        except _cos_errors() as exc:
            if self._exists_error(exc):
                raise ObjectExists(path) from exc
            raise self._error("put", path, exc) from exc
        return self.stored_info(path, len(content))

    def delete_object(self, path: str) -> None:
        """HEAD Object (DELETE cannot tell a missing key), then DELETE Object."""
        self.require_object(path)
        try:
            self._client().delete_object(Bucket=self.bucket, Key=self._key(path))
        except _cos_errors() as exc:
            raise self._error("delete", path, exc) from exc

    def describe(self) -> str:
        """``tencent:cos://bucket/prefix at <scheme>://<endpoint>``."""
        return f"tencent:cos://{self.bucket}/{self.prefix} at {self.scheme}://{self.host}"
