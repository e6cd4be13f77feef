"""Background upkeep after the index changed, off the request path.

Uploads stay O(1): the full ``index-cache.yaml`` is written and a long journal folded into
a snapshot once per burst of changes, by whichever worker made the last change (see
:meth:`app.index.engine.IndexEngine.upkeep`; a shared marker stops duplicates).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable

from app.index.changelog import StateUnavailable

log = logging.getLogger("chartmuseum")


class BackgroundWriter:
    """Runs ``work(repo)`` for each changed repository, ``delay`` seconds after a change."""

    def __init__(self, work: Callable[[str], None], delay: float = 1.0) -> None:
        self.work = work
        self.delay = delay
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        atexit.register(self.flush)
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        """A forked worker has no timer thread: re-arm it for what is still pending."""
        self._lock = threading.Lock()
        self._timer = None
        if self._pending:
            self._pending, pending = set(), self._pending
            for repo in pending:
                self.schedule(repo)

    def schedule(self, repo: str) -> None:
        """Note that ``repo`` changed; its upkeep runs after ``delay``."""
        with self._lock:
            self._pending.add(repo)
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Run every pending upkeep now."""
        with self._lock:
            repos, self._pending = self._pending, set()
            self._timer = None
        for repo in repos:
            try:
                self.work(repo)
            except StateUnavailable as exc:
                fields = {"repo": repo, "error": str(exc)}
                log.warning("Error saving index-cache.yaml", extra={"fields": fields})
            except Exception:  # a background failure must never kill the worker
                log.exception("Error saving index-cache.yaml", extra={"fields": {"repo": repo}})
