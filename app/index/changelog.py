"""The shared change log of each repository: a snapshot plus an append-only journal.

Every worker process keeps its own in-memory copy of a repository's index
(:class:`~app.index.replica.RepoReplica`); the change log is what keeps those copies equal.
A change appends one :class:`~app.index.wire.JournalEvent`; a reader asks for the events
after its :class:`JournalCursor`. Now and then the journal is folded into a new
:class:`~app.index.wire.Snapshot`, which starts a new journal *generation*.

Implementations: :mod:`app.index.changelog_files` (a cache folder shared by the workers of
one instance) and :mod:`app.index.changelog_redis` (one Redis shared by every instance).
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from app.index.wire import JournalEvent
from app.index.wire import Snapshot

SNAPSHOT_MARKER = "snapshot.seq"
"""The marker holding the ``seq`` of the latest snapshot (see :meth:`ChangeLog.write_snapshot`)."""


class StateUnavailable(Exception):
    """The shared change log cannot be reached (e.g. Redis is down, the folder is read-only)."""


@dataclass
class JournalCursor:
    """How far a reader has consumed the journal.

    ``generation`` names the journal it reads (a file's inode, or Redis's epoch counter);
    it changes whenever the journal is restarted by a new snapshot. -1: no journal yet.
    ``offset`` is the position in that journal (bytes, or events).
    """

    generation: int = -1
    offset: int = 0


class ChangeLog(ABC):
    """One repository's shared snapshot and journal (in files, or in Redis)."""

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self._thread_lock = threading.RLock()
        self._depth = 0

    @abstractmethod
    def exists(self) -> bool:
        """True once some worker has built or changed this repository's log."""

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
        """Replace the snapshot, set the :data:`SNAPSHOT_MARKER` marker to its ``seq`` and
        start a new, empty journal generation (lock held), in that order: whoever finds a
        new generation finds the marker of the snapshot it starts from."""

    @abstractmethod
    def append(self, event: JournalEvent) -> int:
        """Append an event (lock held); returns the cursor offset after it."""

    @abstractmethod
    def should_compact(self, offset: int) -> bool:
        """Whether a journal of this length is worth folding into a snapshot."""

    @abstractmethod
    def read_events(self, cursor: JournalCursor) -> tuple[list[JournalEvent], bool]:
        """Events after ``cursor`` (advanced), and whether the journal was restarted."""

    @abstractmethod
    def open_cursor(self) -> JournalCursor:
        """A cursor at the start of the current journal generation."""

    @abstractmethod
    def read_marker(self, name: str) -> str:
        """A small shared value ("" when unset)."""

    @abstractmethod
    def write_marker(self, name: str, value: str) -> None:
        """Set a small shared value (lock held)."""


class ChangeLogs(ABC):
    """Hands out each repository's :class:`ChangeLog`."""

    local = False
    """Whether reading a change log is local work (files, memory) rather than a network
    round trip."""

    @abstractmethod
    def for_repo(self, repo: str) -> ChangeLog:
        """The change log of repository ``repo``."""

    @abstractmethod
    def existing_repos(self) -> list[str]:
        """Repositories that have a change log."""
