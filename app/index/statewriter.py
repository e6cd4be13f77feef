"""Background upkeep after the index changed: ``index-cache.yaml`` and journal folding.

Uploads stay O(1): the full index is written off the request path, once per burst of
changes, by whichever worker made the last change; a shared marker stops duplicates. The
same pass folds a long journal into a new snapshot, so restarts replay little.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from app.index.shared import StateUnavailable
from app.index.statefile import save_statefile
from app.index.store import IndexStore
from app.index.store import Tenant

log = logging.getLogger("chartmuseum")
MARKER = "statefile.seq"


class StateWriter:
    """Debounced writer of each changed tenant's state file and snapshot."""

    def __init__(self, store: IndexStore, statefiles: bool = True, delay: float = 1.0) -> None:
        self.store = store
        self.statefiles = statefiles
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
                self.schedule(self.store.tenant(repo))

    def schedule(self, tenant: Tenant) -> None:
        """Note that ``tenant`` changed; its state file is written after ``delay``."""
        with self._lock:
            self._pending.add(tenant.repo)
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Write every pending state file now."""
        with self._lock:
            repos, self._pending = self._pending, set()
            self._timer = None
        for repo in repos:
            try:
                self._write(self.store.tenant(repo))
            except StateUnavailable as exc:
                fields = {"repo": repo, "error": str(exc)}
                log.warning("Error saving index-cache.yaml", extra={"fields": fields})
            except Exception:  # a background failure must never kill the worker
                log.exception("Error saving index-cache.yaml", extra={"fields": {"repo": repo}})

    def _write(self, tenant: Tenant) -> None:
        with self.store.mutating(tenant.repo):
            if self.statefiles and tenant.shared.read_marker(MARKER) != str(tenant.seq):
                body = tenant.index.rendered().body
                if save_statefile(self.store.backend, tenant.repo, body):
                    self.store.record_change(tenant, [], [], content=False)
                    tenant.shared.write_marker(MARKER, str(tenant.seq))
            if not tenant.degraded and tenant.shared.should_compact(tenant.cursor.offset):
                self.store.write_snapshot(tenant)
