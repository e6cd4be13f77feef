"""A worker's copy of one repository's index, and how far it has read the change log."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from dataclasses import field

from app.index.changelog import ChangeLog
from app.index.changelog import JournalCursor
from app.index.chart_index import ChartIndex
from app.index.wire import JournalEvent


@dataclass
class RepoReplica:
    """One repository as this worker process holds it.

    ``index`` is the in-memory index served; ``log`` the shared change log it follows,
    ``cursor`` and ``seq`` how far it has read it. ``token`` and ``rewrites`` are the
    storage change markers the index was last reconciled with.
    """

    repo: str
    log: ChangeLog
    index: ChartIndex
    lock: threading.RLock = field(default_factory=threading.RLock)
    cursor: JournalCursor = field(default_factory=JournalCursor)
    seq: int = 0
    token: str | None = None
    rewrites: int = 0
    loaded: bool = False
    last_scan: float = 0.0
    ignored: dict[str, tuple[int, int]] = field(default_factory=dict)
    degraded: bool = False
    force_scan: bool = False

    def apply(self, event: JournalEvent) -> None:
        """Apply one change to the index and advance to its position."""
        for filename in event.delete:
            self.index.remove(filename)
        self.index.put_many(event.put)
        self.index.set_generated(event.generated)
        self.token = event.token
        self.seq = event.seq
        if event.token is not None:
            self.last_scan = time.monotonic()

    def apply_all(self, events: list[JournalEvent]) -> None:
        """Apply changes in order."""
        for event in events:
            self.apply(event)
