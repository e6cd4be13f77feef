"""Keep every worker's copy of each repository's index equal to the change log and storage.

Per request the check is O(1): one ``fstat`` of the shared journal and, for backends that
offer one, one change token of the repository folder (a ``stat`` for local storage, plus
one non-blocking read of the inotify queue that reports packages rewritten in place). Only
when something moved does any work happen: new journal events are applied, or storage is
listed and just the added or changed packages are parsed (:mod:`app.index.scan`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from app.gocompat.times import format_time
from app.index.background import BackgroundWriter
from app.index.build import UrlScheme
from app.index.change import Change
from app.index.changelog import SNAPSHOT_MARKER
from app.index.changelog import ChangeLogs
from app.index.changelog import StateUnavailable
from app.index.changelog_files import FileChangeLogs
from app.index.chart_index import ChartIndex
from app.index.chart_index import RenderedIndex
from app.index.entry import IndexEntry
from app.index.listing import ListingAhead
from app.index.memo import PackageMemo
from app.index.replica import RepoReplica
from app.index.scan import StorageScanner
from app.index.served import ServedFolder
from app.index.statefile import load_statefile
from app.index.statefile import save_statefile
from app.index.wire import JournalEvent
from app.index.wire import Snapshot
from backends.base import StorageBackend

log = logging.getLogger("chartmuseum")
STATEFILE_MARKER = "statefile.seq"
COMPACT_SHARE = 0.25
"""The journal is folded once it holds this many changes per version in the index (and is
longer than its change log's own threshold)."""


def now_generated() -> str:
    """``generated`` timestamp: now, rounded to the second, local zone."""
    return format_time(round(time.time()) * 1_000_000_000)


@dataclass
class IndexSettings:
    """The options the index engine needs."""

    cache_dir: str
    context_path: str = ""
    json_index: bool = False
    url_base: str = ""
    statefiles: bool = True
    always_regenerate: bool = False
    cache_interval: float = 300.0
    timestamp_tolerance_ns: int = 0
    parse_workers: int = 0
    upkeep_delay: float = 1.0


class IndexEngine:
    """Every repository's index on one backend, shared between processes by change logs.

    :param logs: where the change logs live (default: files under ``settings.cache_dir``).
    :param memo: parsed packages shared between instances (Redis mode), or None.
    """

    def __init__(
        self,
        backend: StorageBackend,
        settings: IndexSettings,
        logs: ChangeLogs | None = None,
        memo: PackageMemo | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.logs = logs or FileChangeLogs(settings.cache_dir)
        self.memo = memo
        self.urls = UrlScheme(settings.url_base)
        self.scanner = StorageScanner(
            backend, self.urls, memo, settings.timestamp_tolerance_ns, settings.parse_workers
        )
        self.writer = BackgroundWriter(self.upkeep, settings.upkeep_delay)
        self._replicas: dict[str, RepoReplica] = {}
        self._lock = threading.Lock()

    def list_ahead(self, ahead: ListingAhead) -> None:
        """Use a listing taken ahead of time for the next scan of its repository."""
        self.scanner.list_ahead(ahead)

    def _new_index(self, repo: str | None) -> ChartIndex:
        """An empty index of ``repo`` whose rendered versions are also files in the cache
        folder. ``repo`` is None for a repository that does not exist: its index is served
        from memory only, so reads of arbitrary URLs create no files."""
        settings = self.settings
        files = None
        if repo is not None:
            files = ServedFolder.for_repo(settings.cache_dir, repo, settings.json_index)
        return ChartIndex(settings.context_path, settings.json_index, files)

    def replica(self, repo: str) -> RepoReplica:
        """This worker's replica of ``repo`` (created on first use, not yet loaded)."""
        with self._lock:
            replica = self._replicas.get(repo)
            if replica is None:
                replica = RepoReplica(repo, self.logs.for_repo(repo), self._new_index(repo))
                self._replicas[repo] = replica
            return replica

    def existing_repos(self) -> list[str]:
        """Every repository that has a change log, whichever worker or instance made it."""
        return self.logs.existing_repos()

    def exists(self, repo: str) -> bool:
        """Whether repository ``repo`` exists: touched before, or present in storage."""
        if not repo or repo in self._replicas:
            return True
        with contextlib.suppress(StateUnavailable):
            if self.logs.for_repo(repo).exists():
                return True
        token = self.backend.change_token(repo)
        if token is not None:
            return token != "absent"
        return bool(self.backend.list_objects(repo))

    def _empty(self, repo: str) -> RepoReplica:
        """An unregistered, empty replica for reads of repositories that do not exist."""
        index = self._new_index(None)
        index.set_generated(now_generated())
        return RepoReplica(repo, self.logs.for_repo(repo), index, loaded=True)

    # -- the entry points ------------------------------------------------------------------------
    def read(self, repo: str) -> ChartIndex:
        """The index of ``repo``, up to date with the change log and with storage."""
        return self.current(repo).index

    def current(self, repo: str) -> RepoReplica:
        """The replica of ``repo``, brought up to date with the change log and storage.

        Reads of a repository that does not exist answer an empty index without creating
        any state, so arbitrary URLs cannot grow memory, disk or metrics.
        """
        if not self.exists(repo):
            return self._empty(repo)
        replica = self.replica(repo)
        with replica.lock:
            try:
                self._recover(replica)
                self._catch_up(replica)
                if self._storage_moved(replica):
                    with replica.log.locked():
                        self._catch_up(replica)
                        if self._storage_moved(replica):
                            self._rescan(replica)
            except StateUnavailable as exc:
                self._degrade(replica, exc)
        return replica

    def peek(self, repo: str) -> RenderedIndex | None:
        """The rendered index of ``repo`` if knowing it is current takes no waiting and no
        work: a loaded replica whose lock is free, a change log read locally with nothing
        new in it that the replica cannot apply at once, storage unchanged, the index
        rendered already. None otherwise; :meth:`read` then does what is needed."""
        replica = self._replicas.get(repo)
        if replica is None or not replica.loaded or replica.degraded or not self.logs.local:
            return None
        if not replica.lock.acquire(blocking=False):
            return None
        try:
            events, restarted = replica.log.read_events(replica.cursor)
            replica.apply_all(events)
            if restarted or self._storage_moved(replica):
                return None
            return replica.index.rendered_now()
        except StateUnavailable:
            return None
        finally:
            replica.lock.release()

    @contextlib.contextmanager
    def change(self, repo: str) -> Iterator[Change]:
        """Change ``repo``'s index: ``with engine.change(repo) as change: change.put(e)``.

        The repository's cross-process lock is held, with the index up to date, for the
        whole block; the change is recorded and published when the block ends without an
        exception (even when empty: storage moved, so its token is recorded).
        """
        with self._locked(repo) as replica:
            change = Change(replica, self.urls.for_repo(repo), self.memo)
            yield change
            self._record(replica, change.puts, change.deletes, change.content_changed)

    def upkeep(self, repo: str) -> None:
        """Write ``index-cache.yaml`` if it is behind, and fold a long journal (background)."""
        with self._locked(repo) as replica:
            if self.settings.statefiles:
                self._save_statefile(replica)
            if not replica.degraded and self._worth_compacting(replica):
                self._write_snapshot(replica)

    def _save_statefile(self, replica: RepoReplica) -> None:
        """Write ``index-cache.yaml`` unless some worker already did at this ``seq``."""
        if replica.log.read_marker(STATEFILE_MARKER) == str(replica.seq):
            return
        if save_statefile(self.backend, replica.repo, replica.index.rendered().body):
            self._record(replica, [], [], content=False)
            replica.log.write_marker(STATEFILE_MARKER, str(replica.seq))

    def _worth_compacting(self, replica: RepoReplica) -> bool:
        """Whether to fold the journal: it is long, and long next to the snapshot. Folding
        rewrites the whole index, and every worker that has not read the journal's end
        reloads it, so it waits for changes to a :data:`COMPACT_SHARE` of the index's
        versions: the cost per change then stays the same whatever the index's size."""
        if not replica.log.should_compact(replica.cursor.offset):
            return False
        base = replica.log.read_marker(SNAPSHOT_MARKER)
        if not base.isdigit():  # a snapshot written before the marker existed
            return True
        return replica.seq - int(base) > len(replica.index.entries) * COMPACT_SHARE

    def compact(self, repo: str) -> None:
        """Fold ``repo``'s journal into a new snapshot now."""
        with self._locked(repo) as replica:
            self._write_snapshot(replica)

    def flush(self) -> None:
        """Run pending background upkeep now (it otherwise runs shortly after changes)."""
        self.writer.flush()

    @contextlib.contextmanager
    def _locked(self, repo: str) -> Iterator[RepoReplica]:
        """Hold the repository's cross-process lock with its replica up to date.

        If the change log is unreachable a change still goes to storage (whose writes are
        atomic and conditional) and the index is kept from storage until it returns.
        """
        replica = self.replica(repo)
        with replica.lock, contextlib.ExitStack() as stack:
            try:
                self._recover(replica)
                stack.enter_context(replica.log.locked())
                self._catch_up(replica)
                if self._storage_moved(replica):
                    self._rescan(replica)
            except StateUnavailable as exc:
                self._degrade(replica, exc)
            yield replica

    # -- change log outage -----------------------------------------------------------------------
    def _degrade(self, replica: RepoReplica, exc: StateUnavailable) -> None:
        """Serve this repository straight from storage while its change log is unreachable."""
        if not replica.degraded:
            fields = {"repo": replica.repo, "error": str(exc)}
            log.error("Shared index state unavailable, reading storage", extra={"fields": fields})
        replica.degraded = True
        self._rescan(replica, record=False)

    def _recover(self, replica: RepoReplica) -> None:
        """After an outage: reload from the change log, then publish what storage shows."""
        if replica.degraded:
            replica.loaded = False
            replica.force_scan = True
            replica.degraded = False

    # -- following the change log ----------------------------------------------------------------
    def _catch_up(self, replica: RepoReplica) -> None:
        if replica.loaded:
            events, restarted = replica.log.read_events(replica.cursor)
            if not restarted:
                replica.apply_all(events)
                return
        with replica.log.locked():
            if not (replica.loaded and self._follow_compaction(replica)):
                self._load(replica)

    def _follow_compaction(self, replica: RepoReplica) -> bool:
        """After another worker folded the journal into a snapshot of exactly what this
        replica holds (the same ``seq``), follow the new journal instead of reloading: no
        snapshot to decode and no index to render again (lock held). False otherwise."""
        if replica.log.read_marker(SNAPSHOT_MARKER) != str(replica.seq):
            return False
        replica.cursor = replica.log.open_cursor()
        events, restarted = replica.log.read_events(replica.cursor)
        if restarted:
            return False
        replica.apply_all(events)
        return True

    def _storage_moved(self, replica: RepoReplica) -> bool:
        if self.settings.always_regenerate or replica.force_scan:
            return True
        interval = self.settings.cache_interval
        if interval > 0 and time.monotonic() - replica.last_scan > interval:
            return True
        if self.backend.rewrites(replica.repo) != replica.rewrites:
            return True
        token = self.backend.change_token(replica.repo)
        return token is not None and token != replica.token

    def _load(self, replica: RepoReplica) -> None:
        """(Re)load from the snapshot and journal, or build from storage if there is none."""
        snap = replica.log.read_snapshot()
        if snap is None or snap.url_base != self.settings.url_base:
            self._build(replica)
            return
        replica.index = self._new_index(replica.repo)
        replica.index.load_ordered(snap.entries)
        replica.index.set_generated(snap.generated)
        replica.seq, replica.token = snap.seq, snap.token
        replica.cursor = replica.log.open_cursor()
        replica.loaded = True
        replica.last_scan = time.monotonic()
        events, _ = replica.log.read_events(replica.cursor)
        replica.apply_all(events)

    def _build(self, replica: RepoReplica) -> None:
        """Cold start: seed from index-cache.yaml when present, then reconcile with storage."""
        replica.index = self._new_index(replica.repo)
        if self.settings.statefiles:
            replica.index.put_many(
                list(load_statefile(self.backend, replica.repo, self.settings.url_base))
            )
        replica.index.set_generated(now_generated())
        replica.loaded = True
        replica.token = None
        self._rescan(replica, record=False)
        self._write_snapshot(replica)
        self.writer.schedule(replica.repo)

    def _write_snapshot(self, replica: RepoReplica) -> None:
        """Fold the replica into a new snapshot and an empty journal (lock held)."""
        index = replica.index
        url_base = self.settings.url_base
        snap = Snapshot(
            replica.seq, index.generated, replica.token, url_base, index.ordered_entries()
        )
        replica.log.write_snapshot(snap)
        replica.cursor = replica.log.open_cursor()

    # -- changing (lock held) --------------------------------------------------------------------
    def _rescan(self, replica: RepoReplica, record: bool = True) -> None:
        found = self.scanner.scan(replica)
        content_changed = bool(found.gone or found.put)
        if content_changed:
            log.debug("Regenerating index.yaml", extra={"fields": {"repo": replica.repo}})
        generated = now_generated() if content_changed else replica.index.generated
        event = JournalEvent(replica.seq + 1, generated, found.token, found.put, found.gone)
        replica.apply(event)
        replica.rewrites = found.rewrites
        replica.last_scan = time.monotonic()
        replica.force_scan = False
        if record:
            self._publish(replica, event, content_changed)

    def _record(
        self, replica: RepoReplica, put: list[IndexEntry], delete: list[str], content: bool
    ) -> None:
        """Apply and publish a change made by this worker (upload, delete, state file)."""
        generated = now_generated() if content else replica.index.generated
        token = self.backend.change_token(replica.repo)
        event = JournalEvent(replica.seq + 1, generated, token, put, delete)
        replica.apply(event)
        self._publish(replica, event, content)

    def _publish(self, replica: RepoReplica, event: JournalEvent, content_changed: bool) -> None:
        """Append an already-applied event to the change log for the other workers."""
        if not replica.degraded:
            try:
                replica.cursor.offset = replica.log.append(event)
            except StateUnavailable as exc:
                self._degrade(replica, exc)
        if content_changed:
            self.writer.schedule(replica.repo)
