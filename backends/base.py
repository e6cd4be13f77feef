"""The storage contract every backend implements.

Paths are POSIX-style and relative to the backend's own root or prefix. ``list_objects``
is not recursive: it returns only the objects directly inside the given folder.
"""

from __future__ import annotations

import os
import posixpath
import stat
import time
from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any
from typing import ClassVar

from backends.settings import BackendSettings


class BackendConfigError(Exception):
    """Missing or invalid backend settings: the server stops at startup with this message."""


class StorageError(Exception):
    """A backend operation failed (I/O error, outage, permission...)."""


class ObjectNotFound(StorageError):
    """The object does not exist."""


class ObjectExists(StorageError):
    """A write without overwrite found the object already present."""


class InvalidName(StorageError):
    """A path the backend cannot hold or keeps for itself; the message names no storage
    location, so it may be shown to clients."""


class NameClash(StorageError):
    """A path's folder is an object, or the path itself is a folder (stores with real
    folders only)."""


class ReadOnlyStorage(StorageError):
    """The store refuses writes (read-only file system, no permission)."""


class StorageFull(StorageError):
    """The store has no space left for a write."""


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one stored object; ``path`` is relative to the listed folder."""

    path: str
    last_modified_ns: int
    size: int


@dataclass(frozen=True)
class StoredObject:
    """An object's bytes and metadata."""

    path: str
    content: bytes
    last_modified_ns: int


def object_key(prefix: str, path: str) -> str:
    """The store key of ``path`` below ``prefix`` (``.``/``..`` resolved, never above it)."""
    clean = posixpath.normpath("/" + path).lstrip("/")
    return "/".join(part for part in (prefix.strip("/"), clean) if part)


def folder_key(prefix: str, folder: str) -> str:
    """The key prefix that lists exactly the objects directly in ``folder``: ends in ``/``
    (so ``org1x.tgz`` never shows up in ``org1``), or is empty for the very top."""
    key = object_key(prefix, folder)
    return key + "/" if key else ""


class StorageBackend(ABC):
    """Four operations on objects, plus conveniences a backend may override."""

    #: registry name (``local``, ``amazon``...)
    name: str = ""
    #: whether a copy of the backend may be pickled into a subprocess to read objects
    reads_in_subprocess: bool = False
    #: key prefix every path is stored under (object stores)
    prefix: str = ""
    #: longest key the store accepts, in UTF-8 bytes with the prefix: S3, GCS, BOS, Swift
    #: document 1,024 bytes, Azure and OCI 1,024 characters (bytes are the stricter count)
    max_key_bytes: int = 1024
    #: longest path segment in UTF-8 bytes; 0 when only the whole key is limited
    max_segment_bytes: int = 0
    #: name prefixes the backend writes for itself and hides from listings
    reserved_prefixes: tuple[str, ...] = ()
    #: the backend's own options, declared with :func:`backends.settings.option`
    settings_type: ClassVar[type[BackendSettings]] = BackendSettings

    @classmethod
    @abstractmethod
    def from_config(cls, settings: Any) -> StorageBackend:
        """Build the backend from an instance of its :attr:`settings_type`.

        :raises BackendConfigError: for missing or invalid settings or credentials.
        """

    @abstractmethod
    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly inside folder ``prefix`` (``""`` is the root); missing folder → []."""

    @abstractmethod
    def get_object(self, path: str) -> StoredObject:
        """Read one object. :raises ObjectNotFound: when it does not exist."""

    @abstractmethod
    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """Store an object atomically: readers see the old or the new bytes, never a mix.

        :param overwrite: when false and the object exists, raise :class:`ObjectExists`
            without touching it (an atomic create-if-absent).
        :param durable: when false, the bytes are scratch data the caller can do without
            after a crash (a registry upload in progress): a store that flushes each write
            to stable storage (local files: ``fsync``) may skip it. Object stores ignore it.
        :returns: metadata of the stored object (path as given).
        """

    @abstractmethod
    def delete_object(self, path: str) -> None:
        """Remove an object. :raises ObjectNotFound: when it does not exist."""

    def stat_object(self, path: str) -> ObjectInfo | None:
        """Metadata of one object, or None when absent. Override with a cheaper call."""
        folder, name = posixpath.split(path)
        for info in self.list_objects(folder):
            if info.path == name:
                return ObjectInfo(path, info.last_modified_ns, info.size)
        return None

    def stored_info(self, path: str, size: int) -> ObjectInfo:
        """Metadata of an object just written: the store's own timestamp when it can be
        read back, else now (to the second, as object stores report it)."""
        info = self.stat_object(path)
        if info is not None:
            return ObjectInfo(path, info.last_modified_ns, size)
        return ObjectInfo(path, time.time_ns() // 1_000_000_000 * 1_000_000_000, size)

    def require_object(self, path: str) -> None:
        """:raises ObjectNotFound: unless ``path`` exists (for stores whose delete cannot
        tell a missing object)."""
        if self.stat_object(path) is None:
            raise ObjectNotFound(f"{path}: no such object")

    def local_file(self, path: str) -> str | None:
        """The file holding object ``path`` when the store is a local file system (so it can
        be sent by the kernel, ``sendfile(2)``), else None (also when it does not exist)."""
        local = self.local_path(path)
        try:
            return local if local is not None and stat.S_ISREG(os.stat(local).st_mode) else None
        except OSError:
            return None

    def local_path(self, path: str) -> str | None:
        """Where object ``path`` is, or would be, on a local file system, without looking
        (a reader opens it and handles its absence); None when the store is not local."""
        return None

    def change_token(self, prefix: str) -> str | None:
        """A cheap value that changes whenever the listing of ``prefix`` changes.

        ``None`` means the backend has no such token; callers then re-list on a timer.
        """
        return None

    def rewrites(self, prefix: str) -> int:
        """How many in-place rewrites of objects in ``prefix`` this process has noticed: a
        counter that only grows, for stores where a rewrite escapes :meth:`change_token`
        (0 when the backend cannot notice them)."""
        return 0

    def describe(self) -> str:
        """A short human description for logs (no credentials)."""
        return self.name

    def key_length(self, path: str) -> int:
        """Length in bytes of the key that stores ``path``, as :attr:`max_key_bytes` counts."""
        return len(_utf8(object_key(self.prefix, path)))

    def check_name(self, path: str) -> None:
        """Refuse, before any I/O, a path this backend could not store and list back.

        :raises InvalidName: with a message that quotes no storage location.
        """
        for segment in path.split("/"):
            if any(ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
                raise InvalidName("control characters are not allowed in names")
            for reserved in self.reserved_prefixes:
                if segment.startswith(reserved):
                    raise InvalidName(f"names starting with {reserved!r} are reserved")
            size = len(_utf8(segment))
            if self.max_segment_bytes and size > self.max_segment_bytes:
                raise InvalidName(
                    f"name too long for the storage: {size} bytes in one path segment, "
                    f"at most {self.max_segment_bytes}"
                )
        size = self.key_length(path)
        if size > self.max_key_bytes:
            raise InvalidName(
                f"name too long for the storage: {size} bytes with the storage location, "
                f"at most {self.max_key_bytes}"
            )


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
