"""Local filesystem storage: one folder per tenant, atomic writes by rename.

Error messages name paths relative to the root folder only: they may reach clients.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
import tempfile
from dataclasses import dataclass

from backends.base import BackendConfigError
from backends.base import InvalidName
from backends.base import NameClash
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import ReadOnlyStorage
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StorageFull
from backends.base import StoredObject
from backends.rewrites import RewriteWatch
from backends.settings import BackendSettings
from backends.settings import option

TMP_PREFIX = ".cm-tmp-"
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL = {errno.ENOSPC, errno.EDQUOT}


@dataclass(frozen=True)
class LocalSettings(BackendSettings, backend="local"):
    """``--storage-local-*``."""

    rootdir: str = option("", "directory to store charts in (local storage)")


class LocalFilesystemBackend(StorageBackend):
    """Objects are files below ``rootdir``; folders are created on demand."""

    name = "local"
    reads_in_subprocess = True
    reserved_prefixes = (TMP_PREFIX,)
    settings_type = LocalSettings

    def __init__(self, rootdir: str) -> None:
        self.rootdir = os.path.abspath(rootdir)
        self.max_segment_bytes = _pathconf(self.rootdir, "PC_NAME_MAX", 255)
        self.max_key_bytes = _pathconf(self.rootdir, "PC_PATH_MAX", 4096) - 1  # minus the NUL

    @classmethod
    def from_config(cls, settings: LocalSettings) -> LocalFilesystemBackend:
        """A backend on ``--storage-local-rootdir``."""
        if not settings.rootdir:
            raise BackendConfigError("Missing required flags(s): --storage-local-rootdir")
        return cls(settings.rootdir)

    def _abs(self, path: str) -> str:
        clean = posixpath.normpath("/" + path).lstrip("/")
        return os.path.join(self.rootdir, clean) if clean else self.rootdir

    def key_length(self, path: str) -> int:
        """Bytes of the absolute file path, which PATH_MAX limits."""
        return len(os.fsencode(self._abs(path)))

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        try:
            entries = list(os.scandir(self._abs(prefix)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise _error("list", prefix, exc) from exc
        found = []
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX):
                continue
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except FileNotFoundError:
                continue
            found.append(ObjectInfo(entry.name, st.st_mtime_ns, st.st_size))
        return found

    def get_object(self, path: str) -> StoredObject:
        # plain descriptor calls: a cold start reads every package, and a buffered file
        # object costs as much again in system calls (isatty, a second fstat, a seek);
        # O_NONBLOCK keeps a FIFO planted in the folder from blocking the open
        try:
            fd = os.open(self._abs(path), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"{path}: no such file") from exc
        except OSError as exc:
            raise _error("read", path, exc) from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ObjectNotFound(f"{path}: no such file")
            return StoredObject(path, _read_all(fd, st.st_size), st.st_mtime_ns)
        except OSError as exc:
            raise _error("read", path, exc) from exc
        finally:
            os.close(fd)

    def stat_object(self, path: str) -> ObjectInfo | None:
        try:
            st = os.stat(self._abs(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _error("stat", path, exc) from exc
        return ObjectInfo(path, st.st_mtime_ns, st.st_size) if stat.S_ISREG(st.st_mode) else None

    def local_path(self, path: str) -> str:
        return self._abs(path)

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        target = self._abs(path)
        folder = os.path.dirname(target)
        try:
            _make_folder(folder, path)
            tmp = self._write_temp(folder, content, durable)
            try:
                st = os.stat(tmp)  # the published file's inode: it may be gone again at once
                self._publish(tmp, target, overwrite)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            if durable:
                _fsync_dir(folder)
        except (ObjectExists, NameClash):
            raise
        except IsADirectoryError as exc:
            raise NameClash(f"cannot store {path}: a folder has this name") from exc
        except OSError as exc:
            raise _error("store", path, exc, writing=True) from exc
        return ObjectInfo(path, st.st_mtime_ns, st.st_size)

    @staticmethod
    def _write_temp(folder: str, content: bytes, durable: bool) -> str:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return tmp

    @staticmethod
    def _publish(tmp: str, target: str, overwrite: bool) -> None:
        if overwrite:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # atomic create-if-absent, unlike exists() + rename
        except FileExistsError as exc:
            if os.path.isdir(target):
                raise NameClash(f"{os.path.basename(target)}: a folder has this name") from exc
            raise ObjectExists(os.path.basename(target)) from exc

    def delete_object(self, path: str) -> None:
        try:
            os.remove(self._abs(path))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"remove {path}: no such file or directory") from exc
        except OSError as exc:
            raise _error("remove", path, exc, writing=True) from exc

    def change_token(self, prefix: str) -> str | None:
        try:
            st = os.stat(self._abs(prefix))
        except (FileNotFoundError, NotADirectoryError):
            return "absent"
        if not stat.S_ISDIR(st.st_mode):
            return "absent"
        return f"{st.st_ino}:{st.st_mtime_ns}"

    def rewrites(self, prefix: str) -> int:
        """Packages of the folder written in place (a folder ``stat`` cannot see those)."""
        return _REWRITES.count(self._abs(prefix))

    def describe(self) -> str:
        return f"local:{self.rootdir}"


_MAX_READ = 0x7FFFF000  # Linux returns at most this much from one read(2)


def _read_all(fd: int, size: int) -> bytes:
    """The file's bytes to its end: ``size`` is what ``fstat`` said, one more byte asked
    for to see a file that grew since (then read on to the end)."""
    data = os.read(fd, min(size + 1, _MAX_READ))
    if len(data) <= size and size < _MAX_READ:  # short of what was asked: the end
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _is_package(name: str) -> bool:
    return name.endswith(".tgz") and not name.startswith(TMP_PREFIX)


_REWRITES = RewriteWatch(_is_package)  # one per process, shared by every backend


def _pathconf(folder: str, name: str, default: int) -> int:
    """A file system limit of the folder (or of its nearest existing parent)."""
    while True:
        try:
            return os.pathconf(folder, name)
        except FileNotFoundError:
            parent = os.path.dirname(folder)
            if parent == folder:
                return default
            folder = parent
        except (OSError, ValueError):
            return default


def _make_folder(folder: str, path: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise NameClash(f"cannot store {path}: one of its folders is a file") from exc


def _error(action: str, path: str, exc: OSError, writing: bool = False) -> StorageError:
    """The error for a failed operation, worded without the absolute path."""
    message = f"{action} {path or '/'}: {exc.strerror or type(exc).__name__}"
    if writing and exc.errno in _READ_ONLY:
        return ReadOnlyStorage(message)
    if exc.errno in _FULL:
        return StorageFull(message)
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidName(f"{action}: name too long for the storage")
    return StorageError(message)


def _fsync_dir(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
