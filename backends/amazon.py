"""Amazon S3 and S3-compatible stores, through boto3 (imported on first use).

Choices made here:

* Listing uses ListObjectsV2 on ``<prefix>/<folder>/`` with delimiter ``/``, fully
  paginated: exactly the objects directly in the folder (ChartMuseum matched the textual
  prefix ``<prefix>/<folder>``, so ``org1x.tgz`` leaked into tenant ``org1``).
* Create-if-absent is S3's conditional write, ``PutObject`` with ``IfNoneMatch="*"``:
  412 ``PreconditionFailed`` means the object exists; 409 ``ConditionalRequestConflict``
  (a concurrent conditional write) is retried.
* One ``PutObject`` per object (atomic, up to 5 GiB) instead of the managed multipart
  uploader; ``--storage-amazon-sse`` is sent as ``ServerSideEncryption``.
* S3's ``Last-Modified`` has one-second precision in HEAD and GET, so listing times are
  floored to whole seconds and put returns the time a HEAD reports after the write.
* DeleteObject succeeds on missing keys, so delete checks with a HEAD first.
* Credentials come from boto3's default chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
  ``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and shared files, web identity, container and
  instance roles); none found is a startup error. ``AWS_INSECURE_SKIP_VERIFY=true`` turns
  TLS verification off; an endpoint without a scheme is reached over HTTPS.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
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
from backends.clients import PerProcess
from backends.settings import BackendSettings
from backends.settings import missing_flags
from backends.settings import option

_NS = 1_000_000_000
_TRUE = {"1", "t", "true"}
_CONFLICT_RETRIES = 3


def _sdk() -> tuple[Any, Any, Any]:
    """boto3, botocore.config.Config and botocore.exceptions, or BackendUnavailable."""
    try:
        import boto3
        import botocore.exceptions
        from botocore.config import Config
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend amazon needs: pip install 'chartmuseum[amazon]' ({exc})"
        ) from exc
    return boto3, Config, botocore.exceptions


def _sdk_errors() -> tuple[type[Exception], ...]:
    """The SDK's exception classes (client errors and transport errors)."""
    errors = _sdk()[2]
    return (errors.ClientError, errors.BotoCoreError)


def _check_credentials() -> None:
    """Raise BackendConfigError when boto3's default chain finds no credentials."""
    boto3 = _sdk()[0]
    try:
        found = boto3.session.Session().get_credentials()
    except _sdk_errors() as exc:
        raise BackendConfigError(f"amazon storage: cannot load AWS credentials: {exc}") from exc
    if found is None:
        raise BackendConfigError(
            "amazon storage: no AWS credentials found (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or use an instance/container role)"
        )


def _seconds_ns(value: datetime) -> int:
    """A tz-aware datetime as ns since the epoch, floored to the second."""
    return int(value.timestamp()) * _NS


@dataclass(frozen=True)
class AmazonSettings(BackendSettings, backend="amazon"):
    """``--storage-amazon-*``."""

    bucket: str = option("", "S3 bucket")
    prefix: str = option("", "S3 key prefix")
    region: str = option("", "S3 region")
    endpoint: str = option("", "alternative S3 endpoint")
    sse: str = option("", "S3 server-side encryption algorithm")
    force_path_style: bool = option(True, "use path-style S3 addressing")


class AmazonS3Backend(StorageBackend):
    """Objects are keys ``<prefix>/<path>`` in one S3 bucket."""

    name = "amazon"
    max_key_bytes = 1024  # S3: object keys up to 1,024 bytes of UTF-8
    settings_type = AmazonSettings

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        region: str = "us-east-1",
        endpoint: str = "",
        sse: str = "",
        force_path_style: bool = True,
        verify_tls: bool = True,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.region = region
        self.endpoint = endpoint
        self.sse = sse
        self.force_path_style = force_path_style
        self.verify_tls = verify_tls
        self._s3: PerProcess[Any] = PerProcess(self._make_client)

    @classmethod
    def from_config(cls, settings: AmazonSettings) -> AmazonS3Backend:
        """Check the settings and that AWS credentials can be found."""
        region = settings.region
        if not region and settings.endpoint:
            region = "us-east-1"
        missing = missing_flags(
            ("--storage-amazon-bucket", settings.bucket), ("--storage-amazon-region", region)
        )
        if missing:
            raise BackendConfigError("Missing required flags(s): " + ", ".join(missing))
        _check_credentials()
        endpoint = settings.endpoint
        if endpoint and "://" not in endpoint:
            endpoint = "https://" + endpoint
        skip_verify = os.environ.get("AWS_INSECURE_SKIP_VERIFY", "").lower() in _TRUE
        return cls(
            bucket=settings.bucket,
            prefix=settings.prefix,
            region=region,
            endpoint=endpoint,
            sse=settings.sse,
            force_path_style=settings.force_path_style,
            verify_tls=not skip_verify,
        )

    def _client(self) -> Any:
        """The boto3 client of this process (boto3 clients are thread-safe)."""
        return self._s3.get()

    def _make_client(self) -> Any:
        boto3, config_cls, _ = _sdk()
        config = config_cls(
            s3={"addressing_style": "path" if self.force_path_style else "auto"},
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=32,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session().client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint or None,
            verify=self.verify_tls,
            config=config,
        )

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    @staticmethod
    def _error(op: str, path: str, exc: Exception) -> StorageError:
        err = (getattr(exc, "response", None) or {}).get("Error") or {}
        detail = f"{err.get('Code', '')}: {err.get('Message', '')}".strip(": ") or str(exc)
        return StorageError(f"s3 {op} {path}: {detail or type(exc).__name__}")

    @staticmethod
    def _status(exc: Exception) -> tuple[int, str]:
        response = getattr(exc, "response", None) or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return int(status), str(response.get("Error", {}).get("Code", ""))

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix`` (ListObjectsV2, delimiter ``/``, every page)."""
        folder = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        try:
            pages = self._client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=folder, Delimiter="/"):
                for item in page.get("Contents", []):
                    name = item["Key"][len(folder) :]
                    if name and "/" not in name:
                        found.append(
                            ObjectInfo(name, _seconds_ns(item["LastModified"]), item["Size"])
                        )
        except _sdk_errors() as exc:
            raise self._error("list", prefix, exc) from exc
        return found

    def get_object(self, path: str) -> StoredObject:
        """GetObject; ``NoSuchKey`` becomes :class:`ObjectNotFound`."""
        try:
            resp = self._client().get_object(Bucket=self.bucket, Key=self._key(path))
            content = resp["Body"].read()
        except _sdk_errors() as exc:
            status, code = self._status(exc)
            if status == 404 or code == "NoSuchKey":
                raise ObjectNotFound(f"{path}: no such object") from exc
            raise self._error("get", path, exc) from exc
        return StoredObject(path, content, _seconds_ns(resp["LastModified"]))

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HeadObject; None when absent."""
        try:
            head = self._client().head_object(Bucket=self.bucket, Key=self._key(path))
        except _sdk_errors() as exc:
            if self._status(exc)[0] == 404:
                return None
            raise self._error("stat", path, exc) from exc
        return ObjectInfo(path, _seconds_ns(head["LastModified"]), head["ContentLength"])

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """PutObject; without ``overwrite`` a conditional ``If-None-Match: *`` write."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(path), "Body": content}
        if self.sse:
            args["ServerSideEncryption"] = self.sse
        if not overwrite:
            args["IfNoneMatch"] = "*"
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self._client().put_object(**args)
                break
            except _sdk_errors() as exc:
                status, code = self._status(exc)
                if status == 412 or code == "PreconditionFailed":
                    raise ObjectExists(path) from exc
                if code != "ConditionalRequestConflict" or attempt == _CONFLICT_RETRIES:
                    raise self._error("put", path, exc) from exc
                time.sleep(0.1 * (attempt + 1))
        return self.stored_info(path, len(content))

    def delete_object(self, path: str) -> None:
        """HeadObject (DeleteObject cannot tell a missing key), then DeleteObject."""
        self.require_object(path)
        try:
            self._client().delete_object(Bucket=self.bucket, Key=self._key(path))
        except _sdk_errors() as exc:
            raise self._error("delete", path, exc) from exc

    def describe(self) -> str:
        """``amazon:s3://bucket/prefix``, plus the endpoint when one is set."""
        where = f"amazon:s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint}" if self.endpoint else where
