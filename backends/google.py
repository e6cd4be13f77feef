"""Google Cloud Storage through the ``google-cloud-storage`` SDK (JSON API).

Choices:

* Credentials are Google application default credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
  gcloud's file, the metadata server...), resolved once at startup so that a missing key
  is a clear configuration error. ``STORAGE_EMULATOR_HOST`` (the SDKs' standard variable,
  ``host:port`` or a URL) points the backend at an emulator with anonymous credentials.
* One SDK client per process and thread: the client wraps a ``requests`` session, which is
  not guaranteed thread-safe, and gunicorn forks its workers after startup.
* Create-if-absent is the precondition ``if_generation_match=0`` (atomic on the server).
* Listings ask for ``<prefix>/<folder>/`` with the delimiter ``/`` (non-recursive, no
  textual prefix matches) and follow every page. Timestamps are the object's ``updated``
  time, the same field in listings, reads and stats.
* Reads fetch the metadata first, then the stored bytes (no gzip transcoding) of exactly
  that generation.
"""

from __future__ import annotations

import calendar
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
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
from backends.clients import PerThread
from backends.settings import BackendSettings
from backends.settings import option

PAGE_SIZE = 1000
READ_ATTEMPTS = 3
_SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)


def _sdk() -> Any:
    """The ``google.cloud.storage`` module, or BackendUnavailable when not installed."""
    try:
        storage = importlib.import_module("google.cloud.storage")
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend google needs: pip install 'chartmuseum[google]' ({exc})"
        ) from exc
    return storage


def _to_ns(value: datetime | None) -> int:
    """A timezone-aware (or UTC naive) datetime as integer nanoseconds since the epoch."""
    if value is None:
        return 0
    return calendar.timegm(value.utctimetuple()) * 1_000_000_000 + value.microsecond * 1000


def _short(exc: BaseException) -> str:
    """A one-line, bounded description of an SDK error."""
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _emulator_host() -> str:
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").strip().rstrip("/")
    if host and "://" not in host:
        host = "http://" + host
    return host


def _credentials(emulator: str) -> tuple[Any, str | None]:
    """(credentials, project) from the emulator setting or application default credentials."""
    _sdk()
    import google.auth
    from google.auth.exceptions import GoogleAuthError

    if emulator:
        anonymous: Any = importlib.import_module("google.auth.credentials").AnonymousCredentials
        return anonymous(), None
    try:
        credentials, project = google.auth.default(scopes=list(_SCOPES))
    except (GoogleAuthError, ValueError, OSError) as exc:
        raise BackendConfigError(
            "google storage: no Google application default credentials found "
            f"(set GOOGLE_APPLICATION_CREDENTIALS to a service account key file): {_short(exc)}"
        ) from exc
    return credentials, project


@dataclass(frozen=True)
class GoogleSettings(BackendSettings, backend="google"):
    """``--storage-google-*``."""

    bucket: str = option("", "GCS bucket")
    prefix: str = option("", "GCS prefix")


class GoogleCSBackend(StorageBackend):
    """Objects are blobs named ``<prefix>/<path>`` in one GCS bucket."""

    name = "google"
    max_key_bytes = 1024  # Cloud Storage: object names up to 1,024 bytes of UTF-8
    settings_type = GoogleSettings

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        credentials: Any = None,
        project: str | None = None,
        endpoint: str = "",
    ) -> None:
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self._credentials = credentials
        self._project = project
        self._buckets: PerThread[Any] = PerThread(self._make_bucket)

    @classmethod
    def from_config(cls, settings: GoogleSettings) -> GoogleCSBackend:
        """The settings and the Google credentials."""
        if not settings.bucket:
            raise BackendConfigError("Missing required flags(s): --storage-google-bucket")
        endpoint = _emulator_host()
        credentials, project = _credentials(endpoint)
        return cls(
            settings.bucket,
            settings.prefix,
            credentials=credentials,
            project=project,
            endpoint=endpoint,
        )

    # -- plumbing -----------------------------------------------------------------------

    def _bucket(self) -> Any:
        """This thread's bucket handle (a new SDK client per process and thread)."""
        return self._buckets.get()

    def _make_bucket(self) -> Any:
        storage = _sdk()
        options = {"api_endpoint": self.endpoint} if self.endpoint else None
        client = storage.Client(
            project=self._project,
            credentials=self._credentials,
            client_options=options,
        )
        return client.bucket(self.bucket_name)

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    @contextmanager
    def _errors(self, action: str, path: str) -> Iterator[None]:
        """Translate SDK exceptions into the storage contract's errors."""
        from google.api_core import exceptions as gexc

        try:
            yield
        except StorageError:
            raise
        except gexc.NotFound as exc:
            raise ObjectNotFound(f"{path}: object not found") from exc
        except gexc.PreconditionFailed as exc:
            raise ObjectExists(path) from exc
        except Exception as exc:  # transport, auth and API errors alike
            raise StorageError(f"google storage: {action} {path}: {_short(exc)}") from exc

    # -- the contract -------------------------------------------------------------------

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Blobs directly under ``<prefix>/<folder>/``, every page."""
        start = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        try:
            with self._errors("list", prefix or "/"):
                bucket = self._bucket()
                blobs = bucket.client.list_blobs(
                    bucket, prefix=start, delimiter="/", page_size=PAGE_SIZE
                )
                for blob in blobs:
                    name = blob.name[len(start) :]
                    if name and "/" not in name:
                        found.append(ObjectInfo(name, _to_ns(blob.updated), int(blob.size or 0)))
        except ObjectNotFound as exc:  # the bucket itself is missing
            raise StorageError(f"google storage: bucket {self.bucket_name} not found") from exc
        return found

    def get_object(self, path: str) -> StoredObject:
        """Metadata, then the bytes of that very generation (retried if replaced between)."""
        for _ in range(READ_ATTEMPTS):
            blob = self._blob_metadata(path)
            if blob is None:
                raise ObjectNotFound(f"{path}: object not found")
            try:
                with self._errors("get", path):
                    content = blob.download_as_bytes(
                        if_generation_match=blob.generation, raw_download=True
                    )
            except (ObjectExists, ObjectNotFound):
                continue  # replaced or deleted since the metadata call: look again
            return StoredObject(path, content, _to_ns(blob.updated))
        raise StorageError(f"google storage: get {path}: object keeps changing")

    def _blob_metadata(self, path: str) -> Any:
        with self._errors("stat", path):
            return self._bucket().get_blob(self._key(path))

    def stat_object(self, path: str) -> ObjectInfo | None:
        """One metadata request; None when absent."""
        blob = self._blob_metadata(path)
        if blob is None:
            return None
        return ObjectInfo(path, _to_ns(blob.updated), int(blob.size or 0))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """Upload; without ``overwrite`` the precondition generation 0 makes it create-only."""
        try:
            with self._errors("put", path):
                blob = self._bucket().blob(self._key(path))
                blob.upload_from_string(
                    content,
                    content_type="application/octet-stream",
                    if_generation_match=None if overwrite else 0,
                )
        except ObjectNotFound as exc:
            raise StorageError(f"google storage: bucket {self.bucket_name} not found") from exc
        return ObjectInfo(path, _to_ns(blob.updated), len(content))

    def delete_object(self, path: str) -> None:
        """Delete; GCS answers 404 for a missing object, which becomes ObjectNotFound."""
        with self._errors("delete", path):
            self._bucket().blob(self._key(path)).delete()

    def describe(self) -> str:
        """``google:gs://bucket/prefix``, plus the emulator endpoint when one is used."""
        where = f"google:gs://{self.bucket_name}/{self.prefix}".rstrip("/")
        return f"{where} ({self.endpoint})" if self.endpoint else where
