"""Blob uploads in progress and uploaded blobs waiting for a manifest.

Everything lives in storage (``.oci/`` in the tenant's folder), so an upload started on one
worker or instance continues on any other. Each part of a chunked upload is its own object,
written create-if-absent at its offset: two clients sending the same range cannot both win.
Uploads and blobs untouched for ``expiry`` seconds are removed by :meth:`Staging.sweep`.

Staged objects are scratch data, written without flushing to stable storage: the chart
becomes durable when a manifest stores it, and a blob a crash damaged is refused then by
its digest (the client uploads it again), as an upload the crash cut short is unknown.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass

from app.errors import BlobTooLarge
from app.errors import BlobUploadInvalid
from app.errors import BlobUploadUnknown
from app.errors import DigestInvalid
from app.errors import RangeInvalid
from app.errors import storage_failure
from app.oci import layout
from app.oci.names import matches
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError

_ID_LENGTH = 32


@dataclass(frozen=True)
class Part:
    """One stored part of an upload."""

    path: str
    offset: int
    size: int
    mtime_ns: int


class Staging:
    """Uploads and staged blobs of every tenant, on one backend."""

    def __init__(self, backend: StorageBackend, expiry: float, max_size: int) -> None:
        self.backend = backend
        self.expiry = expiry
        self.max_size = max_size
        self._swept: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- uploads ---------------------------------------------------------------------------
    def start(self, tenant: str) -> str:
        """A new upload's id (its first, empty part marks when it started)."""
        self.sweep_soon(tenant)
        upload_id = uuid.uuid4().hex
        marker = f"{layout.uploads_folder(tenant)}/{layout.marker_name(upload_id)}"
        self._put(marker, b"", overwrite=False)
        return upload_id

    def size(self, tenant: str, upload_id: str) -> int:
        """Bytes received so far. :raises BlobUploadUnknown:"""
        parts = self._parts(tenant, upload_id)
        return parts[-1].offset + parts[-1].size

    def append(self, tenant: str, upload_id: str, data: bytes, start: int | None) -> int:
        """Add a chunk; ``start`` (from ``Content-Range``) must be the current size.

        :returns: the new size. :raises RangeInvalid: for a chunk out of order.
        """
        size = self.size(tenant, upload_id)
        if start is not None and start != size:
            raise RangeInvalid(f"chunk starts at {start}, the upload has {size} bytes")
        if size + len(data) > self.max_size:
            self.cancel(tenant, upload_id)  # a blob that can never be accepted
            raise BlobTooLarge()
        if data:
            try:
                self._put(layout.upload_part(tenant, upload_id, size), data, overwrite=False)
            except ObjectExists as exc:
                raise RangeInvalid(f"another chunk was written at {size}") from exc
        return size + len(data)

    def finish(self, tenant: str, upload_id: str, data: bytes, digest: str) -> int:
        """Complete an upload with its last chunk: the blob is stored when it has ``digest``.

        The upload ends either way: as the distribution registry does, a failed completion
        drops what was received.

        :returns: the blob's size. :raises DigestInvalid: (nothing is stored).
        """
        parts = self._parts(tenant, upload_id)
        try:
            content = b"".join(self._read(p.path) for p in parts[1:] if p.size) + data
            if len(content) > self.max_size:
                raise BlobTooLarge()
            self.put_blob(tenant, digest, content)
        except (DigestInvalid, BlobTooLarge):
            self._remove([p.path for p in parts])
            raise
        self._remove([p.path for p in parts])
        return len(content)

    def cancel(self, tenant: str, upload_id: str) -> None:
        """Drop an upload. :raises BlobUploadUnknown:"""
        self._remove([p.path for p in self._parts(tenant, upload_id)])

    # -- staged blobs ------------------------------------------------------------------------
    def put_blob(self, tenant: str, digest: str, content: bytes) -> None:
        """Store a complete blob. :raises DigestInvalid: unless ``content`` has ``digest``."""
        if not matches(content, digest):
            raise DigestInvalid(f"the content does not have digest {digest}")
        self._put(layout.blob(tenant, digest), content)

    def blob_info(self, tenant: str, digest: str) -> ObjectInfo | None:
        """The staged blob's metadata, or None."""
        try:
            return self.backend.stat_object(layout.blob(tenant, digest))
        except StorageError as exc:
            raise storage_failure(exc) from exc

    def read_blob(self, tenant: str, digest: str) -> bytes | None:
        """The staged blob's bytes, or None."""
        try:
            return self._read(layout.blob(tenant, digest))
        except BlobUploadUnknown:
            return None

    def blob_file(self, tenant: str, digest: str) -> str | None:
        """The staged blob's local file, when the store has files."""
        return self.backend.local_file(layout.blob(tenant, digest))

    def discard(self, tenant: str, digests: list[str]) -> None:
        """Drop staged blobs a manifest now stores elsewhere (best effort)."""
        self._remove([layout.blob(tenant, d) for d in digests])

    # -- expiry ------------------------------------------------------------------------------
    def sweep_soon(self, tenant: str) -> None:
        """:meth:`sweep` the tenant unless done recently by this process."""
        now = time.monotonic()
        with self._lock:
            if now - self._swept.get(tenant, -1e9) < min(60.0, self.expiry):
                return
            self._swept[tenant] = now
        with contextlib.suppress(StorageError):
            self.sweep(tenant)

    def sweep(self, tenant: str) -> None:
        """Remove uploads and staged blobs untouched for longer than the expiry."""
        cutoff = time.time_ns() - int(self.expiry * 1e9)
        newest: dict[str, int] = {}
        uploads = self.backend.list_objects(layout.uploads_folder(tenant))
        for info in uploads:
            upload_id = info.path.split(".", 1)[0]
            newest[upload_id] = max(newest.get(upload_id, 0), info.last_modified_ns)
        stale = [i.path for i in uploads if newest[i.path.split(".", 1)[0]] < cutoff]
        folder = layout.uploads_folder(tenant)
        self._remove([f"{folder}/{p}" for p in stale])
        blobs = self.backend.list_objects(layout.blobs_folder(tenant))
        folder = layout.blobs_folder(tenant)
        self._remove([f"{folder}/{i.path}" for i in blobs if i.last_modified_ns < cutoff])

    # -- storage -------------------------------------------------------------------------------
    def _parts(self, tenant: str, upload_id: str) -> list[Part]:
        """The upload's data parts in order (its marker first, as an empty part at 0).

        :raises BlobUploadUnknown: for an unknown or expired upload.
        """
        if len(upload_id) != _ID_LENGTH or not all(c in "0123456789abcdef" for c in upload_id):
            raise BlobUploadUnknown()
        try:
            listing = self.backend.list_objects(layout.uploads_folder(tenant))
        except StorageError as exc:
            raise storage_failure(exc) from exc
        folder = layout.uploads_folder(tenant)
        mine = [i for i in listing if i.path.split(".", 1)[0] == upload_id]
        marker = [i for i in mine if i.path == layout.marker_name(upload_id)]
        if not marker:
            raise BlobUploadUnknown()
        parts = [Part(f"{folder}/{marker[0].path}", 0, 0, marker[0].last_modified_ns)]
        suffixes = [(i, i.path[_ID_LENGTH + 1 :]) for i in mine]
        data = [
            Part(f"{folder}/{i.path}", int(suffix), i.size, i.last_modified_ns)
            for i, suffix in suffixes
            if suffix.isdigit()
        ]
        parts += sorted(data, key=lambda p: p.offset)
        if time.time_ns() - max(p.mtime_ns for p in parts) > self.expiry * 1e9:
            self._remove([p.path for p in parts])
            raise BlobUploadUnknown("blob upload expired")
        end = 0
        for part in parts[1:]:
            if part.offset != end:
                raise BlobUploadInvalid("upload parts are not contiguous")
            end += part.size
        return parts

    def _read(self, path: str) -> bytes:
        try:
            return self.backend.get_object(path).content
        except ObjectNotFound as exc:
            raise BlobUploadUnknown() from exc
        except StorageError as exc:
            raise storage_failure(exc) from exc

    def _put(self, path: str, content: bytes, overwrite: bool = True) -> None:
        try:
            self.backend.put_object(path, content, overwrite=overwrite, durable=False)
        except ObjectExists:
            raise
        except StorageError as exc:
            raise storage_failure(exc) from exc

    def _remove(self, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(StorageError):
                self.backend.delete_object(path)
