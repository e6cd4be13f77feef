"""Change logs as files in the cache folder, shared by the workers of one instance.

Layout, one folder per repository under this format version's folder of the cache directory
(``<cache_dir>/v<N>/tenants/<hash>/``, see :mod:`app.index.persisted`)::

    lock      flock()ed by whoever changes the log
    repo      the repository's path (folder names are hashes)
    snapshot  ``CMSNAP<N>``, then a JSON header and the entries' fragments
    journal   JSON lines, one event each: {"seq", "generated", "token", "put", "del"}

A change costs one appended line (independent of the index size); a reader checks for news
with one ``fstat``. The journal's generation is its inode: a new snapshot replaces the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator

from app.index import persisted
from app.index.changelog import SNAPSHOT_MARKER
from app.index.changelog import ChangeLog
from app.index.changelog import ChangeLogs
from app.index.changelog import JournalCursor
from app.index.changelog import StateUnavailable
from app.index.wire import JournalEvent
from app.index.wire import Snapshot

COMPACT_BYTES = 512 * 1024

# Lock files held right now by this process. A flock belongs to the open file description,
# which a forked child shares: a lock held by a background thread when gunicorn forks a
# worker would stay held by the child's copy forever. The child closes its copies.
_held: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class FileChangeLogs(ChangeLogs):
    """Change logs as folders under a cache directory (one instance, many workers)."""

    local = True

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir

    def for_repo(self, repo: str) -> FileChangeLog:
        """The change log of ``repo`` (its folder is created on first change)."""
        return FileChangeLog(FileChangeLog.folder_for(self.cache_dir, repo), repo)

    def existing_repos(self) -> list[str]:
        """Repositories with a folder under the cache directory."""
        return FileChangeLog.existing_repos(self.cache_dir)


class FileChangeLog(ChangeLog):
    """The snapshot and journal of one repository, as files in ``folder``."""

    def __init__(self, folder: str, repo: str = "") -> None:
        super().__init__(repo)
        self.folder = folder

    @staticmethod
    def existing_repos(cache_dir: str) -> list[str]:
        """Repositories that have a change log under ``cache_dir``."""
        root = os.path.join(persisted.state_root(cache_dir), "tenants")
        try:
            folders = os.listdir(root)
        except FileNotFoundError:
            return []
        repos = []
        for folder in folders:
            path = os.path.join(root, folder, "repo")
            with contextlib.suppress(OSError), open(path, encoding="utf-8") as fh:
                repos.append(fh.read())
        return sorted(repos)

    @staticmethod
    def folder_for(cache_dir: str, repo: str) -> str:
        """The folder of repository ``repo`` (a hash: repo strings are not file names)."""
        key = hashlib.sha256(repo.encode()).hexdigest()[:24]
        return os.path.join(persisted.state_root(cache_dir), "tenants", key)

    def exists(self) -> bool:
        """True once some worker has built or changed this repository's log."""
        return os.path.isdir(self.folder)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        """flock on the lock file. :raises StateUnavailable: when it cannot be opened."""
        try:
            fd = self._open_lock()
        except OSError as exc:
            raise StateUnavailable(f"cannot open the index state lock: {exc.strerror}") from exc
        _held.add(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            _held.discard(fd)
            os.close(fd)

    def _open_lock(self) -> int:
        if not os.path.isdir(self.folder):
            os.makedirs(self.folder, exist_ok=True)
            self._replace("repo", self.repo.encode())
        try:
            return os.open(self._path("lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            return os.open(self._path("lock"), os.O_RDONLY)  # flock needs no write access

    # -- snapshot ----------------------------------------------------------------------------
    def read_snapshot(self) -> Snapshot | None:
        """The snapshot, or None if there is none (or it cannot be read)."""
        try:
            with open(self._path("snapshot"), "rb") as fh:
                return Snapshot.decode(fh.read())
        except OSError:
            return None

    def write_snapshot(self, snap: Snapshot) -> None:
        """Replace the snapshot and start an empty journal (call with the lock held)."""
        self._replace("snapshot", snap.encode())
        self._replace(SNAPSHOT_MARKER, str(snap.seq).encode())
        self._replace("journal", b"")

    def _replace(self, name: str, payload: bytes) -> None:
        """Write a file atomically. :raises StateUnavailable: when the folder is not writable."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=self.folder)
        except OSError as exc:
            raise StateUnavailable(f"cannot write the index state: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, self._path(name))
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise StateUnavailable(f"cannot write the index state: {exc.strerror}") from exc
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    # -- journal -----------------------------------------------------------------------------
    def append(self, event: JournalEvent) -> int:
        """Append one event (call with the lock held); returns the journal's new size."""
        data = event.dumps()
        try:
            fd = os.open(self._path("journal"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                start = os.fstat(fd).st_size
                _append_whole(fd, start, data)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StateUnavailable(f"cannot write the index state: {exc.strerror}") from exc
        return start + len(data)

    def read_events(self, cursor: JournalCursor) -> tuple[list[JournalEvent], bool]:
        """JournalEvents appended since ``cursor`` (which is advanced).

        :returns: (events, restarted): ``restarted`` is true when the journal file was
            replaced since the cursor was taken, so the snapshot must be reloaded first.
        """
        path = self._path("journal")
        try:
            st = os.stat(path)  # every read of the index asks: one system call when no news
            if st.st_ino != cursor.generation:
                return [], True
            if st.st_size <= cursor.offset:
                return [], False
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())  # the file may have been replaced since
                if st.st_ino != cursor.generation:
                    return [], True
                fh.seek(cursor.offset)
                data = fh.read(st.st_size - cursor.offset)
        except FileNotFoundError:
            return [], cursor.generation != -1
        end = data.rfind(b"\n") + 1
        cursor.offset += end
        return [JournalEvent.loads(line) for line in data[:end].splitlines() if line], False

    def open_cursor(self) -> JournalCursor:
        """A cursor at the start of the current journal file."""
        try:
            return JournalCursor(os.stat(self._path("journal")).st_ino, 0)
        except FileNotFoundError:
            return JournalCursor()

    def should_compact(self, offset: int) -> bool:
        """More than :data:`COMPACT_BYTES` of journal."""
        return offset > COMPACT_BYTES

    def read_marker(self, name: str) -> str:
        """A small shared value (e.g. the seq the state file was last written at)."""
        try:
            with open(self._path(name), encoding="utf-8") as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def write_marker(self, name: str, value: str) -> None:
        """Set a small shared value (call with the lock held)."""
        self._replace(name, value.encode())


def _append_whole(fd: int, start: int, data: bytes) -> None:
    """Append ``data`` or nothing: a half-written line (disk full) would corrupt the next one."""
    try:
        if os.write(fd, data) != len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        raise
