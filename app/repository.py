"""Chart repository operations: upload, delete and download, with ChartMuseum's rules.

The index is updated before any of these return, so a client that got an answer sees
its change in the very next read, whichever worker serves it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from cachelib import BaseCache
from cachelib import NullCache

from app.cache import memoized
from app.charts.filenames import package_filename
from app.charts.loader import ChartInvalid
from app.charts.loader import LoadedChart
from app.charts.loader import load_chart
from app.charts.provenance import InvalidProvenance
from app.charts.provenance import provenance_filename
from app.errors import BadRequest
from app.errors import Conflict
from app.errors import InsufficientStorage
from app.errors import NotFound
from app.errors import ServerError
from app.errors import storage_failure
from app.index.build import entry_from_metadata
from app.index.change import Change
from app.index.chart_index import ChartIndex
from app.index.engine import IndexEngine
from app.index.entry import IndexEntry
from app.names import check_chart_name
from app.names import check_file_name
from app.names import check_repo_name
from app.names import shorten
from app.tenancy import storage_path
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError


@dataclass(frozen=True)
class UploadRules:
    """The options that decide whether an upload may be stored."""

    allow_overwrite: bool = False
    disable_force_overwrite: bool = False
    max_storage_objects: int = 0
    per_chart_limit: int = 0
    #: ``--depth-dynamic``: tenant folders and files share names, so a clash is refused
    shared_namespace: bool = False

    def may_overwrite(self, force: bool) -> bool:
        """``--allow-overwrite``, or ``?force`` unless ``--disable-force-overwrite``."""
        return self.allow_overwrite or (force and not self.disable_force_overwrite)


@dataclass
class Pending:
    """A file about to be stored; ``metadata`` is set for chart packages."""

    filename: str
    content: bytes
    metadata: dict[str, Any] | None = None


def parse_chart(content: bytes) -> Pending:
    """Validate an uploaded package. :raises BadRequest: with Helm's loader message."""
    try:
        chart = load_chart(content)
    except ChartInvalid as exc:
        raise BadRequest(str(exc)) from exc
    meta = chart.metadata
    return Pending(package_filename(meta["name"], meta["version"]), content, meta)


def parse_prov(content: bytes) -> Pending:
    """Validate an uploaded provenance file (its name comes from its content).

    :raises BadRequest: ``invalid provenance file`` (ChartMuseum answers 500 on the raw
        route; bad input is a client error).
    """
    try:
        return Pending(provenance_filename(content), content)
    except InvalidProvenance as exc:
        raise BadRequest(str(exc)) from exc


class Repository:
    """Uploads, deletes and reads of every tenant, on one storage backend."""

    def __init__(
        self,
        backend: StorageBackend,
        engine: IndexEngine,
        rules: UploadRules,
        cache: BaseCache | None = None,
    ) -> None:
        self.backend = backend
        self.engine = engine
        self.rules = rules
        self.cache = cache or NullCache()

    def flush(self) -> None:
        """Write pending state files now (otherwise written shortly after changes)."""
        self.engine.flush()

    def index(self, repo: str) -> ChartIndex:
        """The index of tenant ``repo``, up to date."""
        return self.engine.read(repo)

    def load(self, repo: str, entry: IndexEntry) -> LoadedChart:
        """The full chart of an index entry, memoized by digest.

        :raises ServerError: when the stored package cannot be loaded.
        """

        def compute() -> LoadedChart:
            try:
                return load_chart(self.read(repo, entry.filename))
            except ChartInvalid as exc:
                raise ServerError(str(exc)) from exc

        return memoized(self.cache, f"chart:{entry.digest}", compute)

    def read(self, repo: str, filename: str) -> bytes:
        """Bytes of a stored file. :raises NotFound: ``object not found``."""
        path = check_file_name(self.backend, repo, filename)
        try:
            return self.backend.get_object(path).content
        except ObjectNotFound as exc:
            raise NotFound("object not found") from exc

    def check_repo(self, repo: str) -> None:
        """:raises BadRequest: unless the backend can hold tenant ``repo``."""
        check_repo_name(self.backend, repo)

    def check_chart(self, repo: str, name: str) -> None:
        """:raises BadRequest: unless the backend can hold packages of chart ``name``."""
        check_chart_name(self.backend, repo, name)

    # -- uploads -------------------------------------------------------------------------------
    def save(self, repo: str, files: list[Pending], force: bool, conflict: str) -> None:
        """Store files atomically as one change, enforcing every upload rule.

        :param conflict: the 409 message (ChartMuseum's differs per route).
        """
        for item in files:
            if item.metadata is None:
                check_file_name(self.backend, repo, item.filename)
            else:
                check_chart_name(
                    self.backend, repo, item.metadata["name"], item.metadata["version"]
                )
        self._check_clashes(repo, files)
        with self.engine.change(repo) as change:
            overwrite = self.rules.may_overwrite(force)
            existing = {f.filename for f in files if self._exists(repo, f.filename)}
            if existing and not overwrite:
                raise Conflict(conflict)
            self._check_storage_limit(repo, files, existing)
            evicted = self._evictions(change.index, files, existing)
            self._put_all(change, files, overwrite, conflict)
            self._evict(change, evicted)

    def _check_clashes(self, repo: str, files: list[Pending]) -> None:
        """With ``--depth-dynamic``: no tenant folder may be a file, nor a file a tenant.

        :raises Conflict:
        """
        if not self.rules.shared_namespace:
            return
        parts = repo.split("/") if repo else []
        for end in range(1, len(parts) + 1):
            folder = "/".join(parts[:end])
            if self.backend.stat_object(folder) is not None:
                raise Conflict(f"repository {shorten(repo)} clashes with the file {folder}")
        for item in files:
            if self.engine.exists(storage_path(repo, item.filename)):
                raise Conflict(f"{item.filename} clashes with the repository of that name")

    def _exists(self, repo: str, filename: str) -> bool:
        return self.backend.stat_object(storage_path(repo, filename)) is not None

    def _check_storage_limit(self, repo: str, files: list[Pending], existing: set[str]) -> None:
        limit = self.rules.max_storage_objects
        if limit <= 0 or len(existing) == len(files):
            return
        try:
            count = len(self.backend.list_objects(repo))
        except StorageError as exc:
            raise storage_failure(exc) from exc
        if count + len(files) - len(existing) > limit:
            raise InsufficientStorage()

    def _evictions(self, index: ChartIndex, files: list[Pending], existing: set[str]) -> list[str]:
        limit = self.rules.per_chart_limit
        victims: list[str] = []
        if limit <= 0:
            return victims
        for item in files:
            if item.metadata is None or item.filename in existing:
                continue
            versions = index.charts.get(item.metadata["name"], [])
            by_age = sorted(versions, key=lambda e: (e.mtime_ns, e.filename))
            victims += [e.filename for e in by_age[: max(0, len(by_age) + 1 - limit)]]
        return victims

    def _put_all(
        self, change: Change, files: list[Pending], overwrite: bool, conflict: str
    ) -> None:
        stored: list[str] = []
        try:
            for item in files:
                path = storage_path(change.repo, item.filename)
                info = self.backend.put_object(path, item.content, overwrite=overwrite)
                stored.append(path)
                if item.metadata is not None:
                    change.put(self._entry(change, item, info.last_modified_ns))
        except StorageError as exc:
            self._rollback(stored)
            raise storage_failure(exc, conflict) from exc

    @staticmethod
    def _entry(change: Change, item: Pending, mtime_ns: int) -> IndexEntry:
        assert item.metadata is not None
        meta, urls = item.metadata, change.urls
        return entry_from_metadata(meta, item.filename, item.content, mtime_ns, urls)

    def _rollback(self, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(StorageError):
                self.backend.delete_object(path)

    def _evict(self, change: Change, filenames: list[str]) -> None:
        for filename in filenames:
            for name in (filename, filename + ".prov"):
                with contextlib.suppress(StorageError):
                    self.backend.delete_object(storage_path(change.repo, name))
            change.delete(filename)

    # -- delete --------------------------------------------------------------------------------
    def delete(self, repo: str, name: str, version: str) -> None:
        """Delete a chart version and its provenance file.

        :raises NotFound: with the backend's message when there is nothing to delete.
        """
        path = check_chart_name(self.backend, repo, name, version, suffix="")
        if not self.engine.exists(repo):  # no state is created for repositories that don't exist
            raise NotFound(f"remove {path}: no such file or directory")
        with self.engine.change(repo) as change:
            filename = self._stored_name(change.index, name, version)
            try:
                self.backend.delete_object(storage_path(repo, filename))
            except StorageError as exc:
                raise storage_failure(exc) from exc
            with contextlib.suppress(StorageError):
                self.backend.delete_object(storage_path(repo, filename + ".prov"))
            change.delete(filename)

    @staticmethod
    def _stored_name(index: ChartIndex, name: str, version: str) -> str:
        """The file holding name/version: found through the index, else the usual name."""
        for entry in index.charts.get(name, ()):
            if entry.version == version:
                return entry.filename
        return package_filename(name, version)
