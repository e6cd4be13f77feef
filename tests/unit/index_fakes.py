"""In-memory stand-ins for the index engine's collaborators: storage and the change logs."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from app.charts.loader import load_chart
from app.index.build import entry_from_metadata
from app.index.changelog import SNAPSHOT_MARKER
from app.index.changelog import ChangeLog
from app.index.changelog import ChangeLogs
from app.index.changelog import JournalCursor
from app.index.changelog import StateUnavailable
from app.index.engine import IndexEngine
from app.index.wire import JournalEvent
from app.index.wire import Snapshot
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StoredObject
from tests.helpers import make_chart


class MemoryBackend(StorageBackend):
    """Objects in a dict; no change token, so engines learn of changes only by the log."""

    name = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, int]] = {}
        self.reads = 0
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, settings: Any) -> MemoryBackend:
        return cls()

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        folder = prefix.strip("/") + "/" if prefix.strip("/") else ""
        with self._lock:
            items = list(self.objects.items())
        return [
            ObjectInfo(path[len(folder) :], mtime, len(content))
            for path, (content, mtime) in sorted(items)
            if path.startswith(folder) and "/" not in path[len(folder) :]
        ]

    def get_object(self, path: str) -> StoredObject:
        with self._lock:
            self.reads += 1
            if path not in self.objects:
                raise ObjectNotFound(path)
            content, mtime = self.objects[path]
        return StoredObject(path, content, mtime)

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        with self._lock:
            self.objects[path] = (content, time.time_ns())
            return ObjectInfo(path, self.objects[path][1], len(content))

    def delete_object(self, path: str) -> None:
        with self._lock:
            if self.objects.pop(path, None) is None:
                raise ObjectNotFound(path)


class _Shared:
    """What every worker sees of one repository's log (a stand-in for a folder or Redis)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: bytes | None = None
        self.journal: list[bytes] = []
        self.generation = 0
        self.markers: dict[str, str] = {}


class MemoryChangeLog(ChangeLog):
    """A change log kept in memory; raises :class:`StateUnavailable` while ``logs.down``."""

    def __init__(self, logs: MemoryChangeLogs, repo: str) -> None:
        super().__init__(repo)
        self.logs = logs

    @property
    def shared(self) -> _Shared:
        if self.logs.down:
            raise StateUnavailable("memory change log is down")
        return self.logs.shared.setdefault(self.repo, _Shared())

    def exists(self) -> bool:
        return self.repo in self.logs.shared and not self.logs.down

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        shared = self.shared
        with shared.lock:
            yield

    def read_snapshot(self) -> Snapshot | None:
        raw = self.shared.snapshot
        return None if raw is None else Snapshot.decode(raw)

    def write_snapshot(self, snap: Snapshot) -> None:
        shared = self.shared
        shared.snapshot, shared.journal = snap.encode(), []
        shared.markers[SNAPSHOT_MARKER] = str(snap.seq)
        shared.generation += 1

    def append(self, event: JournalEvent) -> int:
        journal = self.shared.journal
        journal.append(event.dumps())
        return len(journal)

    def should_compact(self, offset: int) -> bool:
        return offset > self.logs.compact_events

    def read_events(self, cursor: JournalCursor) -> tuple[list[JournalEvent], bool]:
        shared = self.shared
        if shared.generation != cursor.generation:
            return [], True
        lines = shared.journal[cursor.offset :]
        cursor.offset += len(lines)
        return [JournalEvent.loads(line) for line in lines], False

    def open_cursor(self) -> JournalCursor:
        return JournalCursor(self.shared.generation, 0)

    def read_marker(self, name: str) -> str:
        return self.shared.markers.get(name, "")

    def write_marker(self, name: str, value: str) -> None:
        self.shared.markers[name] = value


class MemoryChangeLogs(ChangeLogs):
    local = True
    """Change logs shared by the engines of one test (each engine is one "worker")."""

    def __init__(self, compact_events: int = 200) -> None:
        self.shared: dict[str, _Shared] = {}
        self.compact_events = compact_events
        self.down = False

    def for_repo(self, repo: str) -> MemoryChangeLog:
        return MemoryChangeLog(self, repo)

    def existing_repos(self) -> list[str]:
        if self.down:
            raise StateUnavailable("memory change log is down")
        return sorted(self.shared)


def upload(engine: IndexEngine, name: str, version: str = "0.1.0", repo: str = "") -> str:
    """Store a package and record it, as :class:`app.repository.Repository` does."""
    content = make_chart(name, version)
    filename = f"{name}-{version}.tgz"
    info = engine.backend.put_object(f"{repo}/{filename}".lstrip("/"), content)
    metadata = load_chart(content).metadata
    with engine.change(repo) as change:
        change.put(
            entry_from_metadata(metadata, filename, content, info.last_modified_ns, change.urls)
        )
    return filename


def remove(engine: IndexEngine, filename: str, repo: str = "") -> None:
    """Delete a package and record it."""
    engine.backend.delete_object(f"{repo}/{filename}".lstrip("/"))
    with engine.change(repo) as change:
        change.delete(filename)
