"""The repository page's data: one summary per chart, searched, sorted and paginated.

Summaries are made once per index version (the rendered index's ETag changes with every
change), and only for the charts that changed since the previous version, so a request
only filters, sorts and slices ready-made lists, whatever the number of versions.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from app.gocompat.semver import try_parse
from app.index.chart_index import ChartIndex
from app.index.entry import IndexEntry

SORTS = ("name", "updated")
PER_PAGE = 25
MAX_QUERY = 200  # characters of a search that are used


@dataclass(frozen=True, slots=True)
class ChartSummary:
    """A chart as the repository page lists it: its latest version's fields."""

    name: str
    version: str
    app_version: str
    description: str
    icon: str
    keywords: tuple[str, ...]
    deprecated: bool
    #: the newest package of any version (the index's ``created``), nanoseconds
    updated_ns: int
    versions: int
    #: lower-cased name, description and keywords, what a search looks in
    search_text: str


def latest(versions: list[IndexEntry]) -> IndexEntry:
    """The version Helm installs by default: the highest release, else the newest."""
    for entry in versions:
        parsed = try_parse(entry.version)
        if parsed is not None and not parsed.prerelease:
            return entry
    return versions[0]


def summarize(name: str, versions: list[IndexEntry]) -> ChartSummary:
    """The summary of chart ``name`` from its versions (newest first, at least one)."""
    entry = latest(versions)
    record: dict[str, Any] = json.loads(entry.json)
    keywords = tuple(str(k) for k in record.get("keywords") or ())
    description = str(record.get("description", ""))
    return ChartSummary(
        name=name,
        version=entry.version,
        app_version=str(record.get("appVersion", "")),
        description=description,
        icon=str(record.get("icon", "")),
        keywords=keywords,
        deprecated=bool(record.get("deprecated", False)),
        updated_ns=max(e.mtime_ns for e in versions),
        versions=len(versions),
        search_text="\0".join((name, description, *keywords)).lower(),
    )


def search_terms(query: str) -> list[str]:
    """The lower-cased words of a search (every one must match)."""
    return query[:MAX_QUERY].lower().split()


class Listing:
    """The charts of one index version, sorted by name and by update time."""

    def __init__(self, summaries: list[ChartSummary]) -> None:
        self.by_name = sorted(summaries, key=lambda s: s.name)
        self.by_updated = sorted(summaries, key=lambda s: (-s.updated_ns, s.name))

    def __len__(self) -> int:
        return len(self.by_name)

    def search(self, query: str, sort: str = "name") -> list[ChartSummary]:
        """Charts whose name, description or keywords contain every word of ``query``,
        in ``sort`` order (``name``, or ``updated``: most recently updated first)."""
        ordered = self.by_updated if sort == "updated" else self.by_name
        terms = search_terms(query)
        if not terms:
            return ordered
        return [s for s in ordered if all(t in s.search_text for t in terms)]


@dataclass
class _Seen:
    etag: str
    listing: Listing
    #: per chart: the versions it was summarised from, and the summary
    charts: dict[str, tuple[tuple[tuple[str, str, int], ...], ChartSummary]]


class Listings:
    """The :class:`Listing` of each tenant's current index version (the last
    ``max_tenants`` tenants asked for), rebuilt from the changed charts only."""

    def __init__(self, max_tenants: int = 256) -> None:
        self._max = max_tenants
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, repo: str, index: ChartIndex) -> Listing:
        """The listing of ``index``, the current index of tenant ``repo``."""
        etag = index.rendered().etag
        with self._lock:
            seen = self._seen.get(repo)
            if seen is None or seen.etag != etag:
                seen = self._rebuild(etag, index, seen)
            self._seen[repo] = seen
            self._seen.move_to_end(repo)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return seen.listing

    @staticmethod
    def _rebuild(etag: str, index: ChartIndex, previous: _Seen | None) -> _Seen:
        before = previous.charts if previous is not None else {}
        charts = {}
        for name in index.chart_names():
            versions = index.visible(name)
            if not versions:
                continue
            key = tuple((e.filename, e.digest, e.mtime_ns) for e in versions)
            known = before.get(name)
            summary = known[1] if known is not None and known[0] == key else None
            charts[name] = (key, summary or summarize(name, versions))
        return _Seen(etag, Listing([summary for _, summary in charts.values()]), charts)


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, its number (from 1) and how many there are."""

    items: list[Any]
    number: int
    pages: int
    total: int


def paginate(items: list[Any], number: int, per_page: int = PER_PAGE) -> Page:
    """Page ``number`` of ``items`` (the last page when ``number`` is past it)."""
    pages = max(1, -(-len(items) // per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(items[start : start + per_page], number, pages, len(items))
