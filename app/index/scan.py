"""Reconcile a repository's index with storage: list it, parse only what is new or changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.index.build import VANISHED
from app.index.build import StorageReader
from app.index.build import UrlScheme
from app.index.build import parse_packages
from app.index.entry import IndexEntry
from app.index.listing import Listing
from app.index.listing import ListingAhead
from app.index.listing import list_now
from app.index.memo import PackageMemo
from app.index.replica import RepoReplica
from backends.base import ObjectInfo
from backends.base import StorageBackend

log = logging.getLogger("chartmuseum")


@dataclass
class ScanResult:
    """What storage shows against the index: entries to put, file names to drop."""

    rewrites: int
    token: str | None
    put: list[IndexEntry]
    gone: list[str]


class StorageScanner:
    """Lists a repository's packages and parses the added or changed ones."""

    def __init__(
        self,
        backend: StorageBackend,
        urls: UrlScheme,
        memo: PackageMemo | None = None,
        tolerance_ns: int = 0,
        parse_workers: int = 0,
    ) -> None:
        self.backend = backend
        self.urls = urls
        self.memo = memo
        self.tolerance_ns = tolerance_ns
        self.parse_workers = parse_workers
        self._ahead: dict[str, ListingAhead] = {}

    def list_ahead(self, ahead: ListingAhead) -> None:
        """Use ``ahead`` as the listing of the next scan of its repository."""
        self._ahead[ahead.repo] = ahead

    def scan(self, replica: RepoReplica) -> ScanResult:
        """Compare storage with ``replica.index`` (its ``ignored`` packages are updated)."""
        rewrites, token, objects = self._listing(replica.repo)
        listing = [o for o in objects if o.path.endswith(".tgz")]
        current = {o.path: o for o in listing}
        gone = [f for f in replica.index.entries if f not in current]
        changed = [o for o in listing if self._differs(replica, o)]
        puts, invalid = self._parse(replica, changed)
        gone += [f for f in invalid if f in replica.index.entries]
        return ScanResult(rewrites, token, puts, gone)

    def _listing(self, repo: str) -> Listing:
        ahead = self._ahead.pop(repo, None)
        listing = ahead.take() if ahead is not None else None
        return listing if listing is not None else list_now(self.backend, repo)

    def _differs(self, replica: RepoReplica, obj: ObjectInfo) -> bool:
        known = replica.index.entries.get(obj.path)
        if known is None:
            return replica.ignored.get(obj.path) != (obj.last_modified_ns, obj.size)
        if known.size < 0:  # loaded from a ChartMuseum statefile: compare times only
            return obj.last_modified_ns - known.mtime_ns > self.tolerance_ns
        delta = abs(obj.last_modified_ns - known.mtime_ns)
        return known.size != obj.size or delta > self.tolerance_ns

    def _parse(
        self, replica: RepoReplica, objects: list[ObjectInfo]
    ) -> tuple[list[IndexEntry], list[str]]:
        """Parse packages; returns (entries, names of invalid or vanished packages)."""
        if not objects:
            return [], []
        if len(objects) > 1:
            log.debug(
                "Loading charts packages from storage (this could take awhile)",
                extra={"fields": {"repo": replica.repo, "total": len(objects)}},
            )
        puts, names = self._memoized(replica.repo, objects)
        read = StorageReader(self.backend, replica.repo)
        by_name = {o.path: o for o in objects}
        invalid = []
        urls = self.urls.for_repo(replica.repo)
        for filename, entry, error in parse_packages(read, names, urls, self.parse_workers):
            if entry is None and error == VANISHED:
                invalid.append(filename)  # deleted since the listing: gone
            elif entry is None:
                obj = by_name[filename]
                replica.ignored[filename] = (obj.last_modified_ns, obj.size)
                fields = {"repo": replica.repo, "package": filename, "error": error}
                log.warning("Invalid package in storage", extra={"fields": fields})
                invalid.append(filename)
            else:
                replica.ignored.pop(filename, None)
                puts.append(entry)
                if self.memo:
                    self.memo.put(replica.repo, entry)
        return puts, invalid

    def _memoized(self, repo: str, objects: list[ObjectInfo]) -> tuple[list[IndexEntry], list[str]]:
        """(entries found in the memo, names of the packages still to parse)."""
        found, names = [], []
        for obj in objects:
            memoized = self.memo.get(repo, obj) if self.memo else None
            if memoized is not None:
                found.append(memoized)
            else:
                names.append(obj.path)
        return found, names
