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
from app.index.build import entry_from_metadata
from app.index.entry import IndexEntry
from app.index.statewriter import StateWriter
from app.index.store import IndexStore
from app.index.store import Tenant
from app.tenancy import check_filename
from app.tenancy import storage_path
from backends.base import ObjectExists
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


def parse_prov(content: bytes, error: type[Exception] = BadRequest) -> Pending:
    """Validate an uploaded provenance file (its name comes from its content)."""
    try:
        return Pending(provenance_filename(content), content)
    except InvalidProvenance as exc:
        raise error(str(exc)) from exc


class Repository:
    """Uploads, deletes and reads of every tenant, on one storage backend."""

    def __init__(
        self,
        backend: StorageBackend,
        store: IndexStore,
        rules: UploadRules,
        writer: StateWriter | None = None,
        cache: BaseCache | None = None,
    ) -> None:
        self.backend = backend
        self.store = store
        self.rules = rules
        self.writer = writer
        self.cache = cache or NullCache()

    def flush(self) -> None:
        """Write pending state files now (the writer otherwise runs shortly after changes)."""
        if self.writer is not None:
            self.writer.flush()

    def index(self, repo: str) -> Tenant:
        """The tenant with its index up to date."""
        return self.store.current(repo)

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
        try:
            return self.backend.get_object(storage_path(repo, filename)).content
        except ObjectNotFound as exc:
            raise NotFound("object not found") from exc

    # -- uploads -------------------------------------------------------------------------------
    def save(self, repo: str, files: list[Pending], force: bool, conflict: str) -> None:
        """Store files atomically as one change, enforcing every upload rule.

        :param conflict: the 409 message (ChartMuseum's differs per route).
        """
        for item in files:
            check_filename(item.filename)
        with self.store.mutating(repo) as tenant:
            overwrite = self.rules.may_overwrite(force)
            existing = {f.filename for f in files if self._exists(repo, f.filename)}
            if existing and not overwrite:
                raise Conflict(conflict)
            self._check_storage_limit(repo, files, existing)
            evicted = self._evictions(tenant, files, existing)
            puts = self._put_all(repo, files, overwrite, conflict)
            removed = self._evict(repo, evicted)
            self.store.record_change(tenant, puts, removed, content=bool(puts or removed))

    def _exists(self, repo: str, filename: str) -> bool:
        return self.backend.stat_object(storage_path(repo, filename)) is not None

    def _check_storage_limit(self, repo: str, files: list[Pending], existing: set[str]) -> None:
        limit = self.rules.max_storage_objects
        if limit <= 0 or len(existing) == len(files):
            return
        try:
            count = len(self.backend.list_objects(repo))
        except StorageError as exc:
            raise ServerError(str(exc)) from exc
        if count + len(files) - len(existing) > limit:
            raise InsufficientStorage()

    def _evictions(self, tenant: Tenant, files: list[Pending], existing: set[str]) -> list[str]:
        limit = self.rules.per_chart_limit
        victims: list[str] = []
        if limit <= 0:
            return victims
        for item in files:
            if item.metadata is None or item.filename in existing:
                continue
            versions = tenant.index.charts.get(item.metadata["name"], [])
            by_age = sorted(versions, key=lambda e: (e.mtime_ns, e.filename))
            victims += [e.filename for e in by_age[: max(0, len(by_age) + 1 - limit)]]
        return victims

    def _put_all(
        self, repo: str, files: list[Pending], overwrite: bool, conflict: str
    ) -> list[IndexEntry]:
        stored: list[str] = []
        puts = []
        try:
            for item in files:
                path = storage_path(repo, item.filename)
                info = self.backend.put_object(path, item.content, overwrite=overwrite)
                stored.append(path)
                if item.metadata is not None:
                    entry = self._entry(repo, item, info.last_modified_ns)
                    puts.append(entry)
                    if self.store.memo:
                        self.store.memo.put(repo, entry)
        except ObjectExists as exc:
            self._rollback(stored)
            raise Conflict(conflict) from exc
        except StorageError as exc:
            self._rollback(stored)
            raise ServerError(str(exc)) from exc
        return puts

    def _entry(self, repo: str, item: Pending, mtime_ns: int) -> IndexEntry:
        assert item.metadata is not None
        urls = self.store.urls.for_repo(repo)
        return entry_from_metadata(item.metadata, item.filename, item.content, mtime_ns, urls)

    def _rollback(self, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(StorageError):
                self.backend.delete_object(path)

    def _evict(self, repo: str, filenames: list[str]) -> list[str]:
        for filename in filenames:
            for name in (filename, filename + ".prov"):
                with contextlib.suppress(StorageError):
                    self.backend.delete_object(storage_path(repo, name))
        return filenames

    # -- delete --------------------------------------------------------------------------------
    def delete(self, repo: str, name: str, version: str) -> None:
        """Delete a chart version and its provenance file.

        :raises NotFound: with the backend's message when there is nothing to delete.
        """
        if not self.store.exists(repo):  # no state is created for repositories that don't exist
            filename = package_filename(name, version)
            raise NotFound(f"remove {storage_path(repo, filename)}: no such file or directory")
        with self.store.mutating(repo) as tenant:
            filename = self._stored_name(tenant, name, version)
            try:
                self.backend.delete_object(storage_path(repo, filename))
            except ObjectNotFound as exc:
                raise NotFound(str(exc)) from exc
            except StorageError as exc:
                raise ServerError(str(exc)) from exc
            with contextlib.suppress(StorageError):
                self.backend.delete_object(storage_path(repo, filename + ".prov"))
            self.store.record_change(tenant, [], [filename])

    @staticmethod
    def _stored_name(tenant: Tenant, name: str, version: str) -> str:
        """The file holding name/version: found through the index, else the usual name."""
        for entry in tenant.index.charts.get(name, ()):
            if entry.version == version:
                return entry.filename
        return package_filename(name, version)
