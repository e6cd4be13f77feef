"""Azure Blob Storage through the ``azure-storage-blob`` SDK (v12).

Choices:

* Credentials: ``AZURE_STORAGE_ACCOUNT`` and ``AZURE_STORAGE_ACCESS_KEY`` (shared key) as in
  ChartMuseum; missing ones are a configuration error, not a panic. The Azure SDKs' usual
  ``AZURE_STORAGE_CONNECTION_STRING`` is accepted instead of the pair.
* Endpoint: ``AZURE_BASE_URL`` is either a domain suffix as in ChartMuseum
  (``core.chinacloudapi.cn`` → ``https://<account>.blob.core.chinacloudapi.cn``) or a full
  blob endpoint URL (``http://127.0.0.1:10000/devstoreaccount1`` for Azurite; a bare
  ``http://<ip or localhost>:<port>`` gets ``/<account>`` appended, path-style). The
  development account ``devstoreaccount1`` defaults to Azurite's standard endpoint.
  ``AZURE_API_VERSION`` pins the REST API version.
* Objects are **block blobs** (ChartMuseum used append blobs). Create-if-absent sends
  ``If-None-Match: *`` (the SDK's ``overwrite=False``), atomic on the service.
* Listings use the delimiter ``/`` on ``<prefix>/<folder>/`` and follow every page.
  Timestamps are the blob's ``Last-Modified`` (whole seconds) everywhere.
* The SDK client is thread-safe; one is created per process (gunicorn forks workers).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import importlib
import ipaddress
import logging
import os
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
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
from backends.clients import PerProcess
from backends.settings import BackendSettings
from backends.settings import option

PAGE_SIZE = 1000
READ_ATTEMPTS = 3
DEFAULT_SUFFIX = "core.windows.net"
EMULATOR_ACCOUNT = "devstoreaccount1"
EMULATOR_URL = "http://127.0.0.1:10000/devstoreaccount1"
MISSING_CREDENTIALS = (
    "Either the AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_ACCESS_KEY environment variable is not set"
)


def _sdk() -> Any:
    """The ``azure.storage.blob`` module, or BackendUnavailable when not installed."""
    try:
        return importlib.import_module("azure.storage.blob")
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend microsoft needs: pip install 'chartmuseum[microsoft]' ({exc})"
        ) from exc


def _to_ns(value: datetime | None) -> int:
    """A timezone-aware (or UTC naive) datetime as integer nanoseconds since the epoch."""
    if value is None:
        return 0
    return calendar.timegm(value.utctimetuple()) * 1_000_000_000 + value.microsecond * 1000


def _short(exc: BaseException) -> str:
    """A one-line, bounded description of an SDK error."""
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def account_url(account: str, base_url: str) -> str:
    """The blob endpoint for ``account`` given ``AZURE_BASE_URL`` (suffix or URL)."""
    base = base_url.strip().rstrip("/")
    if not base:
        return (
            EMULATOR_URL
            if account == EMULATOR_ACCOUNT
            else f"https://{account}.blob.{DEFAULT_SUFFIX}"
        )
    if "://" not in base:
        return f"https://{account}.blob.{base.lstrip('.')}"
    parts = urlsplit(base)
    if parts.path in ("", "/") and _is_local_host(parts.hostname or ""):
        return f"{base}/{account}"
    return base


def _is_local_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


def _service_options(env: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for :class:`MicrosoftBlobBackend` from the environment."""
    options: dict[str, Any] = {"api_version": env.get("AZURE_API_VERSION", "").strip() or None}
    connection = env.get("AZURE_STORAGE_CONNECTION_STRING", "").strip()
    account = env.get("AZURE_STORAGE_ACCOUNT", "").strip()
    key = env.get("AZURE_STORAGE_ACCESS_KEY", "").strip()
    if connection and not (account and key):
        return {**options, "connection_string": connection}
    if not account or not key:
        raise BackendConfigError(MISSING_CREDENTIALS)
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BackendConfigError(
            "AZURE_STORAGE_ACCESS_KEY is not a valid base64 account key"
        ) from exc
    url = account_url(account, env.get("AZURE_BASE_URL", ""))
    return {**options, "account": account, "key": key, "url": url}


@dataclass(frozen=True)
class MicrosoftSettings(BackendSettings, backend="microsoft"):
    """``--storage-microsoft-*``."""

    container: str = option("", "Azure blob container")
    prefix: str = option("", "Azure blob prefix")


class MicrosoftBlobBackend(StorageBackend):
    """Objects are block blobs named ``<prefix>/<path>`` in one container."""

    name = "microsoft"
    max_key_bytes = 1024  # Blob Storage: blob names up to 1,024 characters
    settings_type = MicrosoftSettings

    def __init__(
        self,
        container: str,
        prefix: str = "",
        *,
        account: str = "",
        key: str = "",
        url: str = "",
        connection_string: str = "",
        api_version: str | None = None,
    ) -> None:
        self.container_name = container
        self.prefix = prefix.strip("/")
        self._account, self._key, self._url = account, key, url
        self._connection_string = connection_string
        self._api_version = api_version
        self._clients: PerProcess[Any] = PerProcess(self._new_container_client)
        self.url = self._container().url.split("?", 1)[0].rstrip("/")

    @classmethod
    def from_config(cls, settings: MicrosoftSettings) -> MicrosoftBlobBackend:
        """The settings and the ``AZURE_*`` variables."""
        if not settings.container:
            raise BackendConfigError("Missing required flags(s): --storage-microsoft-container")
        options = _service_options(os.environ)
        try:
            return cls(settings.container, settings.prefix, **options)
        except ValueError as exc:  # unsupported API version, malformed connection string...
            raise BackendConfigError(f"microsoft storage: {_short(exc)}") from exc

    # -- plumbing -----------------------------------------------------------------------

    def _container(self) -> Any:
        """This process's container client (created on first use after a fork)."""
        return self._clients.get()

    def _new_container_client(self) -> Any:
        sdk = _sdk()
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(
            logging.WARNING
        )
        extra = {"api_version": self._api_version} if self._api_version else {}
        if self._connection_string:
            service = sdk.BlobServiceClient.from_connection_string(self._connection_string, **extra)
        else:
            from azure.core.credentials import AzureNamedKeyCredential

            credential = AzureNamedKeyCredential(self._account, self._key)
            service = sdk.BlobServiceClient(self._url, credential=credential, **extra)
        return service.get_container_client(self.container_name)

    def _key_for(self, path: str) -> str:
        return object_key(self.prefix, path)

    @contextmanager
    def _errors(self, action: str, path: str) -> Iterator[None]:
        """Translate SDK exceptions into the storage contract's errors."""
        from azure.core import exceptions as aexc

        try:
            yield
        except StorageError:
            raise
        except aexc.ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) == "ContainerNotFound":
                raise StorageError(
                    f"microsoft storage: container {self.container_name} not found"
                ) from exc
            raise ObjectNotFound(f"{path}: object not found") from exc
        except (aexc.ResourceExistsError, aexc.ResourceModifiedError) as exc:
            raise ObjectExists(path) from exc
        except aexc.HttpResponseError as exc:
            if exc.status_code not in (401, 403):
                raise StorageError(f"microsoft storage: {action} {path}: {_short(exc)}") from exc
            raise StorageError(
                f"microsoft storage: {action} {path}: authentication failed, check "
                f"AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_ACCESS_KEY ({_short(exc)})"
            ) from exc
        except Exception as exc:  # transport and service errors alike
            raise StorageError(f"microsoft storage: {action} {path}: {_short(exc)}") from exc

    # -- the contract -------------------------------------------------------------------

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Blobs directly under ``<prefix>/<folder>/``, every page."""
        start = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        with self._errors("list", prefix or "/"):
            items = self._container().walk_blobs(
                name_starts_with=start or None, delimiter="/", results_per_page=PAGE_SIZE
            )
            for item in items:
                name = item.name[len(start) :]
                if name and "/" not in name and getattr(item, "size", None) is not None:
                    found.append(ObjectInfo(name, _to_ns(item.last_modified), int(item.size)))
        return found

    def get_object(self, path: str) -> StoredObject:
        """Download (bytes and properties in one call; retried if the blob changes mid-read)."""
        from azure.core.exceptions import ResourceModifiedError

        for _ in range(READ_ATTEMPTS):
            try:
                with self._errors("get", path):
                    download = self._container().download_blob(self._key_for(path))
                    content = download.readall()
            except ObjectExists as exc:
                if isinstance(exc.__cause__, ResourceModifiedError):
                    continue  # replaced between two ranges of a large blob
                raise
            return StoredObject(path, content, _to_ns(download.properties.last_modified))
        raise StorageError(f"microsoft storage: get {path}: blob keeps changing")

    def stat_object(self, path: str) -> ObjectInfo | None:
        """A HEAD request (blob properties); None when absent."""
        try:
            with self._errors("stat", path):
                blob = self._container().get_blob_client(self._key_for(path))
                props = blob.get_blob_properties()
        except ObjectNotFound:
            return None
        return ObjectInfo(path, _to_ns(props.last_modified), int(props.size))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """Upload a block blob; without ``overwrite`` the service refuses an existing name."""
        sdk = _sdk()
        with self._errors("put", path):
            blob = self._container().get_blob_client(self._key_for(path))
            result = blob.upload_blob(
                content, blob_type=sdk.BlobType.BLOCKBLOB, overwrite=overwrite
            )
        return ObjectInfo(path, _to_ns(result.get("last_modified")), len(content))

    def delete_object(self, path: str) -> None:
        """Delete the blob and its snapshots; a missing blob raises ObjectNotFound."""
        with self._errors("delete", path):
            self._container().delete_blob(self._key_for(path), delete_snapshots="include")

    def describe(self) -> str:
        """``microsoft:<container URL>/<prefix>`` (no key, no SAS token)."""
        return f"microsoft:{self.url}/{self.prefix}".rstrip("/")
