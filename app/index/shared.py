"""Index state shared by every worker process: a snapshot plus an append-only journal.

Layout, one folder per tenant under this format version's folder of the cache directory
(``<cache_dir>/v<N>/tenants/<hash>/``, see :mod:`app.index.persisted`)::

    lock      flock()ed by whoever changes the state
    snapshot  ``CMSNAP<N>``, then a JSON header and the entries' fragments
    journal   JSON lines, one event each: {"seq", "generated", "token", "put", "del"}

A change costs one appended line (independent of the index size); a reader checks for news
with one ``fstat``. The journal is folded into a new snapshot once it grows large.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from app.index import persisted
from app.index.entry import IndexEntry

COMPACT_BYTES = 512 * 1024


class StateUnavailable(Exception):
    """The shared state cannot be reached (e.g. Redis is down)."""


@dataclass
class Event:
    """One change of a tenant's index."""

    seq: int
    generated: str
    token: str | None
    put: list[IndexEntry] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)

    def dumps(self) -> bytes:
        data = {
            "seq": self.seq,
            "generated": self.generated,
            "token": self.token,
            "put": [e.to_wire() for e in self.put],
            "del": self.delete,
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

    @classmethod
    def loads(cls, line: bytes) -> Event:
        data = json.loads(line)
        put = [IndexEntry.from_wire(e) for e in data["put"]]
        return cls(data["seq"], data["generated"], data["token"], put, data["del"])


@dataclass
class Snapshot:
    """The whole state of a tenant at journal position ``seq``.

    ``entries`` are in index order (charts, then versions newest first), so loading needs
    no sorting. Serialised as the format version's magic, a small JSON header, then one
    blob of all the entries' YAML and JSON fragments, which loads without parsing them.
    """

    seq: int
    generated: str
    token: str | None
    url_base: str
    entries: list[IndexEntry]

    def encode(self) -> bytes:
        rows: list[list[object]] = []
        blob: list[bytes] = []
        for e in self.entries:
            rows.append(
                [
                    e.filename,
                    e.name,
                    e.version,
                    e.digest,
                    e.mtime_ns,
                    e.size,
                    len(e.yaml),
                    len(e.json),
                ]
            )
            blob += (e.yaml, e.json)
        head = {
            "seq": self.seq,
            "generated": self.generated,
            "token": self.token,
            "url_base": self.url_base,
            "entries": rows,
        }
        header = json.dumps(head, separators=(",", ":"), ensure_ascii=False).encode()
        return b"".join([persisted.snapshot_magic(), len(header).to_bytes(8, "big"), header, *blob])

    @classmethod
    def decode(cls, data: bytes) -> Snapshot | None:
        """Inverse of :meth:`encode`; None for anything else (another version, or damaged)."""
        magic = persisted.snapshot_magic()
        if not data.startswith(magic):
            return None
        try:
            start = len(magic) + 8
            end = start + int.from_bytes(data[len(magic) : start], "big")
            head = json.loads(data[start:end])
            entries, pos = [], end
            for f, n, v, d, m, s, ylen, jlen in head["entries"]:
                mid, nxt = pos + ylen, pos + ylen + jlen
                entries.append(IndexEntry(f, n, v, d, m, s, data[pos:mid], data[mid:nxt]))
                pos = nxt
            return cls(head["seq"], head["generated"], head["token"], head["url_base"], entries)
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class JournalCursor:
    """How far a reader has consumed the journal: its generation and a position in it."""

    inode: int = -1
    offset: int = 0


class TenantState(ABC):
    """Where a tenant's shared snapshot and journal live (files, or Redis)."""

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self._thread_lock = threading.RLock()
        self._depth = 0

    @abstractmethod
    def exists(self) -> bool:
        """True once some worker has built or changed this tenant's state."""

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access for changes, across threads, processes (and instances).

        Re-entrant within one thread: nested uses share the outermost lock.
        """
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._acquire():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    @abstractmethod
    def _acquire(self) -> contextlib.AbstractContextManager[None]:
        """The lock shared with other processes (and instances)."""

    @abstractmethod
    def read_snapshot(self) -> Snapshot | None:
        """The snapshot, or None."""

    @abstractmethod
    def write_snapshot(self, snap: Snapshot) -> None:
        """Replace the snapshot and start a new, empty journal (lock held)."""

    @abstractmethod
    def append(self, event: Event) -> int:
        """Append an event (lock held); returns the cursor offset after it."""

    @abstractmethod
    def should_compact(self, offset: int) -> bool:
        """Whether a journal of this length is worth folding into a snapshot."""

    @abstractmethod
    def read_events(self, cursor: JournalCursor) -> tuple[list[Event], bool]:
        """Events after ``cursor`` (advanced), and whether the journal was restarted."""

    @abstractmethod
    def open_cursor(self) -> JournalCursor:
        """A cursor at the start of the current journal."""

    @abstractmethod
    def read_marker(self, name: str) -> str:
        """A small shared value ("" when unset)."""

    @abstractmethod
    def write_marker(self, name: str, value: str) -> None:
        """Set a small shared value (lock held)."""


class StateStore(ABC):
    """Hands out each tenant's :class:`TenantState`."""

    @abstractmethod
    def for_repo(self, repo: str) -> TenantState:
        """The state of tenant ``repo``."""

    @abstractmethod
    def existing_repos(self) -> list[str]:
        """Tenants that have state."""


class FileStates(StateStore):
    """Tenant states as folders under a cache directory (one instance, many workers)."""

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir

    def for_repo(self, repo: str) -> SharedState:
        return SharedState(SharedState.folder_for(self.cache_dir, repo), repo)

    def existing_repos(self) -> list[str]:
        return SharedState.existing_repos(self.cache_dir)


class SharedState(TenantState):
    """The shared snapshot and journal of one tenant, in ``folder``."""

    def __init__(self, folder: str, repo: str = "") -> None:
        super().__init__(repo)
        self.folder = folder

    @staticmethod
    def existing_repos(cache_dir: str) -> list[str]:
        """Tenants that have shared state under ``cache_dir``."""
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
        """The state folder of tenant ``repo`` (a hash: repo strings are not file names)."""
        key = hashlib.sha256(repo.encode()).hexdigest()[:24]
        return os.path.join(persisted.state_root(cache_dir), "tenants", key)

    def exists(self) -> bool:
        """True once some worker has built or changed this tenant's state."""
        return os.path.isdir(self.folder)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        """flock on the tenant's lock file. :raises StateUnavailable: when it cannot be opened."""
        try:
            fd = self._open_lock()
        except OSError as exc:
            raise StateUnavailable(f"cannot open the index state lock: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
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
    def append(self, event: Event) -> int:
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

    def read_events(self, cursor: JournalCursor) -> tuple[list[Event], bool]:
        """Events appended since ``cursor`` (which is advanced).

        :returns: (events, restarted): ``restarted`` is true when the journal file was
            replaced since the cursor was taken, so the snapshot must be reloaded first.
        """
        try:
            with open(self._path("journal"), "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_ino != cursor.inode:
                    return [], True
                if st.st_size <= cursor.offset:
                    return [], False
                fh.seek(cursor.offset)
                data = fh.read(st.st_size - cursor.offset)
        except FileNotFoundError:
            return [], cursor.inode != -1
        end = data.rfind(b"\n") + 1
        cursor.offset += end
        return [Event.loads(line) for line in data[:end].splitlines() if line], False

    def open_cursor(self) -> JournalCursor:
        """A cursor at the start of the current journal file."""
        try:
            return JournalCursor(os.stat(self._path("journal")).st_ino, 0)
        except FileNotFoundError:
            return JournalCursor()

    def should_compact(self, offset: int) -> bool:
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
