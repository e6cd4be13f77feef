"""Write ``index-cache.yaml`` in the background, shortly after the index changed.

Uploads stay O(1): the full index is written off the request path, once per burst of
changes, by whichever worker made the last change; a shared marker stops duplicates.
"""

from __future__ import annotations

import atexit
import logging
import threading

from app.index.shared import StateUnavailable
from app.index.statefile import save_statefile
from app.index.store import IndexStore
from app.index.store import Tenant

log = logging.getLogger("chartmuseum")
MARKER = "statefile.seq"


class StatefileWriter:
    """Debounced writer of each changed tenant's state file."""

    def __init__(self, store: IndexStore, delay: float = 1.0) -> None:
        self.store = store
        self.delay = delay
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        atexit.register(self.flush)

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
            if tenant.shared.read_marker(MARKER) == str(tenant.seq):
                return
            body = tenant.index.rendered().body
            if save_statefile(self.store.backend, tenant.repo, body):
                self.store.record_change(tenant, [], [], content=False)
                tenant.shared.write_marker(MARKER, str(tenant.seq))
