"""Local filesystem storage: one folder per tenant, atomic writes by rename."""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from typing import Any

from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject

TMP_PREFIX = ".cm-tmp-"


class LocalFilesystemBackend(StorageBackend):
    """Objects are files below ``rootdir``; folders are created on demand."""

    name = "local"
    reads_in_subprocess = True

    def __init__(self, rootdir: str) -> None:
        self.rootdir = os.path.abspath(rootdir)

    @classmethod
    def from_config(cls, config: Any) -> LocalFilesystemBackend:
        from app.errors import ConfigError

        if not config.storage_local_rootdir:
            raise ConfigError("Missing required flags(s): --storage-local-rootdir")
        return cls(config.storage_local_rootdir)

    def _abs(self, path: str) -> str:
        clean = posixpath.normpath("/" + path).lstrip("/")
        return os.path.join(self.rootdir, clean) if clean else self.rootdir

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        try:
            entries = list(os.scandir(self._abs(prefix)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StorageError(str(exc)) from exc
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
        try:
            with open(self._abs(path), "rb") as fh:
                st = os.fstat(fh.fileno())
                return StoredObject(path, fh.read(), st.st_mtime_ns)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"{path}: no such file") from exc
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    def stat_object(self, path: str) -> ObjectInfo | None:
        try:
            st = os.stat(self._abs(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (
            ObjectInfo(path, st.st_mtime_ns, st.st_size)
            if os.path.isfile(self._abs(path))
            else None
        )

    def put_object(self, path: str, content: bytes, *, overwrite: bool = True) -> ObjectInfo:
        target = self._abs(path)
        folder = os.path.dirname(target)
        try:
            os.makedirs(folder, exist_ok=True)
            tmp = self._write_temp(folder, content)
            try:
                self._publish(tmp, target, overwrite)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            _fsync_dir(folder)
            st = os.stat(target)
        except ObjectExists:
            raise
        except OSError as exc:
            raise StorageError(f"cannot store {path}: {exc.strerror or exc}") from exc
        return ObjectInfo(path, st.st_mtime_ns, st.st_size)

    @staticmethod
    def _write_temp(folder: str, content: bytes) -> str:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
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
            raise ObjectExists(os.path.basename(target)) from exc

    def delete_object(self, path: str) -> None:
        try:
            os.remove(self._abs(path))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"remove {path}: no such file or directory") from exc
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    def change_token(self, prefix: str) -> str | None:
        try:
            st = os.stat(self._abs(prefix))
        except (FileNotFoundError, NotADirectoryError):
            return "absent"
        return f"{st.st_ino}:{st.st_mtime_ns}"

    def describe(self) -> str:
        return f"local:{self.rootdir}"


def _fsync_dir(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
