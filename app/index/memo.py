"""Parsed packages memoized in the shared cache, so a package is parsed once, anywhere."""

from __future__ import annotations

import logging

from cachelib import BaseCache

from app.index.entry import IndexEntry
from backends.base import ObjectInfo

log = logging.getLogger("chartmuseum")


class PackageMemo:
    """Parsed packages by (tenant, file, mtime, size), in a cachelib cache."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    @staticmethod
    def _key(repo: str, obj: ObjectInfo) -> str:
        return f"pkg:{repo}/{obj.path}:{obj.last_modified_ns}:{obj.size}"

    def get(self, repo: str, obj: ObjectInfo) -> IndexEntry | None:
        """The memoized entry, or None (misses and cache errors alike)."""
        try:
            wire = self.cache.get(self._key(repo, obj))
        except Exception as exc:  # cachelib backends raise their client's own errors
            log.debug("package memo unavailable", extra={"fields": {"error": str(exc)}})
            return None
        return IndexEntry.from_wire(wire) if wire else None

    def put(self, repo: str, entry: IndexEntry) -> None:
        """Remember an entry (best effort)."""
        obj = ObjectInfo(entry.filename, entry.mtime_ns, entry.size)
        try:
            self.cache.set(self._key(repo, obj), entry.to_wire())
        except Exception as exc:
            log.debug("package memo unavailable", extra={"fields": {"error": str(exc)}})
