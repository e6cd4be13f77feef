"""Keep every worker's copy of each tenant index equal to the shared state and to storage.

Per request the check is O(1): one ``fstat`` of the shared journal and, for backends that
offer one, one change token of the tenant folder (a ``stat`` for local storage, plus one
non-blocking read of the inotify queue that reports packages rewritten in place). Only when
something moved does any work happen: new journal events are applied, or storage is listed
and just the added or changed packages are parsed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from app.cache import PackageMemo
from app.index import render
from app.index.build import StorageReader
from app.index.build import UrlScheme
from app.index.build import parse_packages
from app.index.entry import IndexEntry
from app.index.shared import Event
from app.index.shared import FileStates
from app.index.shared import JournalCursor
from app.index.shared import Snapshot
from app.index.shared import StateStore
from app.index.shared import StateUnavailable
from app.index.shared import TenantState
from app.index.statefile import load_statefile
from app.index.tenant import TenantIndex
from backends.base import ObjectInfo
from backends.base import StorageBackend

log = logging.getLogger("chartmuseum")


def now_generated() -> str:
    """``generated`` timestamp: now, rounded to the second, local zone."""
    return render.format_time(round(time.time()) * 1_000_000_000)


@dataclass
class StoreSettings:
    """The options the index store needs."""

    cache_dir: str
    context_path: str = ""
    json_index: bool = False
    url_base: str = ""
    statefiles: bool = True
    always_regenerate: bool = False
    cache_interval: float = 300.0
    timestamp_tolerance_ns: int = 0
    parse_workers: int = 0


@dataclass
class Tenant:
    """A worker's view of one tenant."""

    repo: str
    shared: TenantState
    index: TenantIndex
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


class IndexStore:
    """All tenants' indexes of one backend, shared between processes via the cache dir."""

    def __init__(
        self, backend: StorageBackend, settings: StoreSettings, states: StateStore | None = None
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.states = states or FileStates(settings.cache_dir)
        self.memo: PackageMemo | None = None
        self.urls = UrlScheme(settings.url_base)
        self._tenants: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        self.on_change: Callable[[Tenant], None] = lambda tenant: None

    def tenant(self, repo: str) -> Tenant:
        """The tenant object for ``repo`` (created on first use, not yet loaded)."""
        with self._lock:
            tenant = self._tenants.get(repo)
            if tenant is None:
                index = TenantIndex(self.settings.context_path, self.settings.json_index)
                tenant = self._tenants[repo] = Tenant(repo, self.states.for_repo(repo), index)
            return tenant

    def existing_repos(self) -> list[str]:
        """Every tenant that has state, whichever worker or instance created it."""
        return self.states.existing_repos()

    def exists(self, repo: str) -> bool:
        """Whether repository ``repo`` exists: touched before, or present in storage."""
        if not repo or repo in self._tenants:
            return True
        with contextlib.suppress(StateUnavailable):
            if self.states.for_repo(repo).exists():
                return True
        token = self.backend.change_token(repo)
        if token is not None:
            return token != "absent"
        return bool(self.backend.list_objects(repo))

    def _empty(self, repo: str) -> Tenant:
        """An unregistered, empty tenant for reads of repositories that do not exist."""
        index = TenantIndex(self.settings.context_path, self.settings.json_index)
        index.set_generated(now_generated())
        return Tenant(repo, self.states.for_repo(repo), index, loaded=True)

    # -- reading -------------------------------------------------------------------------------
    def current(self, repo: str) -> Tenant:
        """The tenant, brought up to date with the shared state and with storage.

        Reads of a repository that does not exist answer an empty index without creating
        any state, so arbitrary URLs cannot grow memory, disk or metrics.
        """
        if not self.exists(repo):
            return self._empty(repo)
        tenant = self.tenant(repo)
        with tenant.lock:
            try:
                self._recover(tenant)
                self._catch_up(tenant)
                if self._storage_moved(tenant):
                    with tenant.shared.locked():
                        self._catch_up(tenant)
                        if self._storage_moved(tenant):
                            self._rescan(tenant)
            except StateUnavailable as exc:
                self._degrade(tenant, exc)
        return tenant

    @contextlib.contextmanager
    def mutating(self, repo: str) -> Iterator[Tenant]:
        """Hold the tenant's cross-process lock with the state up to date, to change it.

        If the shared state is unreachable the change still goes to storage (whose writes
        are atomic and conditional) and the index is kept from storage until it returns.
        """
        tenant = self.tenant(repo)
        with tenant.lock, contextlib.ExitStack() as stack:
            try:
                self._recover(tenant)
                stack.enter_context(tenant.shared.locked())
                self._catch_up(tenant)
                if self._storage_moved(tenant):
                    self._rescan(tenant)
            except StateUnavailable as exc:
                self._degrade(tenant, exc)
            yield tenant

    # -- shared state outage -----------------------------------------------------------------
    def _degrade(self, tenant: Tenant, exc: StateUnavailable) -> None:
        """Serve this tenant straight from storage while the shared state is unreachable."""
        if not tenant.degraded:
            fields = {"repo": tenant.repo, "error": str(exc)}
            log.error("Shared index state unavailable, reading storage", extra={"fields": fields})
        tenant.degraded = True
        self._rescan(tenant, record=False)

    def _recover(self, tenant: Tenant) -> None:
        """After an outage: reload the shared state, then publish what storage shows."""
        if tenant.degraded:
            tenant.loaded = False
            tenant.force_scan = True
            tenant.degraded = False

    def _catch_up(self, tenant: Tenant) -> None:
        if tenant.loaded:
            events, restarted = tenant.shared.read_events(tenant.cursor)
            if not restarted:
                self._apply_all(tenant, events)
                return
        with tenant.shared.locked():
            self._load(tenant)

    def _storage_moved(self, tenant: Tenant) -> bool:
        if self.settings.always_regenerate or tenant.force_scan:
            return True
        interval = self.settings.cache_interval
        if interval > 0 and time.monotonic() - tenant.last_scan > interval:
            return True
        if self.backend.rewrites(tenant.repo) != tenant.rewrites:
            return True
        token = self.backend.change_token(tenant.repo)
        return token is not None and token != tenant.token

    def _apply_all(self, tenant: Tenant, events: list[Event]) -> None:
        for event in events:
            self._apply(tenant, event)

    def _apply(self, tenant: Tenant, event: Event) -> None:
        for filename in event.delete:
            tenant.index.remove(filename)
        for entry in event.put:
            tenant.index.put(entry)
        tenant.index.set_generated(event.generated)
        tenant.token = event.token
        tenant.seq = event.seq
        if event.token is not None:
            tenant.last_scan = time.monotonic()

    # -- loading (lock held) ------------------------------------------------------------------
    def _load(self, tenant: Tenant) -> None:
        """(Re)load from the snapshot and journal, or build from storage if there is none."""
        snap = tenant.shared.read_snapshot()
        if snap is None or snap.url_base != self.settings.url_base:
            self._build(tenant)
            return
        tenant.index = TenantIndex(self.settings.context_path, self.settings.json_index)
        tenant.index.load_ordered(snap.entries)
        tenant.index.set_generated(snap.generated)
        tenant.seq, tenant.token = snap.seq, snap.token
        tenant.cursor = tenant.shared.open_cursor()
        tenant.loaded = True
        tenant.last_scan = time.monotonic()
        events, _ = tenant.shared.read_events(tenant.cursor)
        self._apply_all(tenant, events)

    def _build(self, tenant: Tenant) -> None:
        """Cold start: seed from index-cache.yaml when present, then reconcile with storage."""
        tenant.index = TenantIndex(self.settings.context_path, self.settings.json_index)
        if self.settings.statefiles:
            for entry in load_statefile(self.backend, tenant.repo, self.settings.url_base):
                tenant.index.put(entry)
        tenant.index.set_generated(now_generated())
        tenant.loaded = True
        tenant.token = None
        self._rescan(tenant, record=False)
        self.write_snapshot(tenant)
        self.on_change(tenant)

    def write_snapshot(self, tenant: Tenant) -> None:
        """Fold the state into a new snapshot and an empty journal (lock held)."""
        entries = tenant.index.ordered_entries()
        snap = Snapshot(
            tenant.seq, tenant.index.generated, tenant.token, self.settings.url_base, entries
        )
        tenant.shared.write_snapshot(snap)
        tenant.cursor = tenant.shared.open_cursor()

    # -- re-scan (lock held) ------------------------------------------------------------------
    def _rescan(self, tenant: Tenant, record: bool = True) -> None:
        rewrites = self.backend.rewrites(tenant.repo)
        token = self.backend.change_token(tenant.repo)
        listing = [o for o in self.backend.list_objects(tenant.repo) if o.path.endswith(".tgz")]
        current = {o.path: o for o in listing}
        gone = [f for f in tenant.index.entries if f not in current]
        changed = [o for o in listing if self._differs(tenant, o)]
        puts, invalid = self._parse(tenant, changed)
        gone += [f for f in invalid if f in tenant.index.entries]
        content_changed = bool(gone or puts)
        if content_changed:
            log.debug("Regenerating index.yaml", extra={"fields": {"repo": tenant.repo}})
        generated = now_generated() if content_changed else tenant.index.generated
        event = Event(tenant.seq + 1, generated, token, puts, gone)
        self._apply(tenant, event)
        tenant.rewrites = rewrites
        tenant.last_scan = time.monotonic()
        tenant.force_scan = False
        if record:
            self.commit(tenant, event, content_changed)

    def _differs(self, tenant: Tenant, obj: ObjectInfo) -> bool:
        known = tenant.index.entries.get(obj.path)
        if known is None:
            return tenant.ignored.get(obj.path) != (obj.last_modified_ns, obj.size)
        if known.size < 0:  # loaded from a ChartMuseum statefile: compare times only
            return obj.last_modified_ns - known.mtime_ns > self.settings.timestamp_tolerance_ns
        delta = abs(obj.last_modified_ns - known.mtime_ns)
        return known.size != obj.size or delta > self.settings.timestamp_tolerance_ns

    def _parse(
        self, tenant: Tenant, objects: list[ObjectInfo]
    ) -> tuple[list[IndexEntry], list[str]]:
        """Parse packages; returns (entries, names of invalid packages)."""
        if not objects:
            return [], []
        if len(objects) > 1:
            log.debug(
                "Loading charts packages from storage (this could take awhile)",
                extra={"fields": {"repo": tenant.repo, "total": len(objects)}},
            )

        read = StorageReader(self.backend, tenant.repo)
        by_name = {o.path: o for o in objects}
        puts, invalid = [], []
        names = []
        for obj in objects:
            memoized = self.memo.get(tenant.repo, obj) if self.memo else None
            if memoized is not None:
                puts.append(memoized)
            else:
                names.append(obj.path)
        for filename, entry, error in parse_packages(
            read, names, self.urls.for_repo(tenant.repo), self.settings.parse_workers
        ):
            if entry is None:
                obj = by_name[filename]
                tenant.ignored[filename] = (obj.last_modified_ns, obj.size)
                fields = {"repo": tenant.repo, "package": filename, "error": error}
                log.warning("Invalid package in storage", extra={"fields": fields})
                invalid.append(filename)
            else:
                tenant.ignored.pop(filename, None)
                puts.append(entry)
                if self.memo:
                    self.memo.put(tenant.repo, entry)
        return puts, invalid

    # -- writing (lock held) ------------------------------------------------------------------
    def commit(self, tenant: Tenant, event: Event, content_changed: bool = True) -> None:
        """Publish an already-applied event to the other workers."""
        if not tenant.degraded:
            try:
                tenant.cursor.offset = tenant.shared.append(event)
            except StateUnavailable as exc:
                self._degrade(tenant, exc)
        if content_changed:
            self.on_change(tenant)

    def record_change(
        self, tenant: Tenant, put: list[IndexEntry], delete: list[str], content: bool = True
    ) -> None:
        """Apply and publish a change made by this worker (upload, delete)."""
        generated = now_generated() if content else tenant.index.generated
        token = self.backend.change_token(tenant.repo)
        event = Event(tenant.seq + 1, generated, token, put, delete)
        self._apply(tenant, event)
        self.commit(tenant, event, content)
