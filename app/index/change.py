"""One change of a repository's index, as an upload or a delete makes it."""

from __future__ import annotations

from app.index.build import UrlScheme
from app.index.chart_index import ChartIndex
from app.index.entry import IndexEntry
from app.index.memo import PackageMemo
from app.index.replica import RepoReplica


class Change:
    """Entries to put and file names to delete, recorded together when the change ends.

    Made by :meth:`app.index.engine.IndexEngine.change`, which holds the repository's
    cross-process lock with the index up to date for as long as the change is open.
    """

    def __init__(self, replica: RepoReplica, urls: UrlScheme, memo: PackageMemo | None) -> None:
        self._replica = replica
        self._memo = memo
        self.urls = urls
        self.puts: list[IndexEntry] = []
        self.deletes: list[str] = []

    @property
    def repo(self) -> str:
        """The repository changed."""
        return self._replica.repo

    @property
    def index(self) -> ChartIndex:
        """The index as it is before this change (up to date: the lock is held)."""
        return self._replica.index

    def put(self, entry: IndexEntry) -> None:
        """Add or replace the entry of a package just stored."""
        self.puts.append(entry)
        if self._memo is not None:
            self._memo.put(self.repo, entry)

    def delete(self, filename: str) -> None:
        """Drop the entry of a package just deleted from storage."""
        self.deletes.append(filename)

    @property
    def content_changed(self) -> bool:
        """Whether the index changes (a provenance file alone changes only storage)."""
        return bool(self.puts or self.deletes)
