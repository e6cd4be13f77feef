"""The in-memory index of one repository: entries kept sorted, bytes rendered once per change.

This is the model only; keeping it equal across worker processes is the job of
:mod:`app.index.engine`.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import re
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Concatenate
from typing import ParamSpec
from typing import TypeVar

from app.gocompat.json_encoding import go_json
from app.index import render
from app.index.entry import IndexEntry
from app.index.served import ServedFolder

_RUNS = re.compile(r"\d+|\D")

BLOCKS_FROM = 32
"""From this many charts, each chart's rendered bytes are kept (see ``_yaml_pieces``)."""

BULK_FROM = 64
"""From this many entries in one change, :meth:`ChartIndex.put_many` sorts once."""

WRITE_ON_REQUEST = 2
"""A worker writes a rendered version's file at this request for it (and sends the first
ones from memory), so versions replaced before they are read again cost no disk writes."""


def chart_order(name: str) -> tuple[object, ...]:
    """A total order of chart names close to go-yaml's "natural" key order.

    go-yaml's own comparison is not transitive for some names (``k8s``/``k80``/``k9``), so
    an insertion-ordered list could differ between workers; this key cannot.
    """
    parts: list[tuple[int, int, int]] = []
    for run in _RUNS.findall(name):
        if run[0].isdecimal():
            parts.append((1, int(run), len(run)))
        else:
            parts.append((2 if run.isalpha() else 0, ord(run), 0))
    return (tuple(parts), name)


P = ParamSpec("P")
R = TypeVar("R")


def _locked(
    method: Callable[Concatenate[ChartIndex, P], R],
) -> Callable[Concatenate[ChartIndex, P], R]:
    """Run a method under the index's lock: threads of a worker read while others apply."""

    def wrapper(self: ChartIndex, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(wrapper, method)
    return wrapper


@dataclass
class RenderedIndex:
    """The serialised index as served: plain bytes, lazily gzipped, and its ETag.

    With a :class:`~app.index.served.ServedFolder` (``files``), each form is also a file,
    written once per version (:meth:`file`), so it can be sent by the kernel.
    """

    body: bytes
    etag: str
    files: ServedFolder | None = None
    _gzip: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _paths: dict[bool, str | None] = field(default_factory=dict)
    _asked: dict[bool, int] = field(default_factory=dict)
    _files_lock: threading.Lock = field(default_factory=threading.Lock)

    def gzipped(self) -> bytes:
        """Gzip of :attr:`body`, computed on first use and kept."""
        with self._lock:
            if self._gzip is None:
                self._gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self._gzip

    def file(self, gzipped: bool) -> str | None:
        """The path of a file holding :attr:`body` (or its gzip): one another worker wrote,
        else written at the :data:`WRITE_ON_REQUEST`-th request for it.

        :returns: None when the bytes are to be served from memory: no folder, not written
            yet, or it could not be written (not retried for this version).
        """
        if self.files is None:
            return None
        path = self._paths.get(gzipped, "")
        if path != "":
            return path
        with self._files_lock:
            if gzipped in self._paths:
                return self._paths[gzipped]
            asked = self._asked[gzipped] = self._asked.get(gzipped, 0) + 1
            if asked < WRITE_ON_REQUEST:
                found = self._existing(gzipped)
                if found is not None:
                    self._paths[gzipped] = found
                return found
            self._paths[gzipped] = self._materialize(gzipped)
            return self._paths[gzipped]

    def file_now(self, gzipped: bool) -> str | None:
        """The path :meth:`file` found or wrote, if it did: None rather than looking or
        writing."""
        return self._paths.get(gzipped) or None

    def forget(self, gzipped: bool, path: str) -> None:
        """``path`` could not be opened (removed by another worker's cleanup): the next
        :meth:`file` writes it again."""
        with self._files_lock:
            if self._paths.get(gzipped) == path:
                del self._paths[gzipped]

    def _existing(self, gzipped: bool) -> str | None:
        assert self.files is not None
        return self.files.existing(self.etag, gzipped, None if gzipped else len(self.body))

    def _materialize(self, gzipped: bool) -> str | None:
        assert self.files is not None
        if gzipped:
            return self.files.materialize(self.etag, True, self.gzipped)
        return self.files.materialize(self.etag, False, lambda: self.body, len(self.body))


def _position(versions: list[IndexEntry], entry: IndexEntry) -> int:
    """Where ``entry`` itself is in ``versions`` (kept in :meth:`IndexEntry.sort_key` order):
    found by its key, then by identity (``list.remove`` would compare whole entries field
    by field, which made replaying a long journal slow)."""
    key = entry.sort_key()
    start = bisect.bisect_left(versions, key, key=IndexEntry.sort_key)
    for i in range(start, len(versions)):
        if versions[i] is entry:
            return i
        if versions[i].sort_key() != key:
            break
    return next(i for i, e in enumerate(versions) if e is entry)  # not in order after all


class ChartIndex:
    """One repository's entries keyed by stored file name, grouped per chart, newest first.

    :param files: where each rendered version is also written as files (None: memory only).
    """

    def __init__(
        self, context_path: str = "", json_index: bool = False, files: ServedFolder | None = None
    ) -> None:
        self.context_path = context_path
        self.json_index = json_index
        self.files = files
        self._lock = threading.RLock()
        self.entries: dict[str, IndexEntry] = {}
        self.charts: dict[str, list[IndexEntry]] = {}
        self._names: list[str] = []  # chart names in index order
        self.generated = ""
        self._blocks: dict[str, bytes] = {}
        self._block_tags: dict[str, bytes] = {}
        self._rendered: RenderedIndex | None = None
        # True once the rendered bytes are out of date; they are replaced (and the old
        # megabytes freed) by the next read, keeping that cost off the write path
        self._stale = True

    # -- changes -------------------------------------------------------------------------
    @_locked
    def load_ordered(self, entries: list[IndexEntry]) -> None:
        """Fill an empty index from entries already in index order (a snapshot)."""
        for entry in entries:
            self._append(entry)
        self._blocks.clear()
        self._block_tags.clear()
        self._stale = True

    @_locked
    def ordered_entries(self) -> list[IndexEntry]:
        """Every entry in index order (what :meth:`load_ordered` expects back)."""
        return [e for name in self._names for e in self.charts[name]]

    @_locked
    def put(self, entry: IndexEntry) -> None:
        """Add or replace the entry stored under ``entry.filename``."""
        self.remove(entry.filename)
        self.entries[entry.filename] = entry
        versions = self.charts.get(entry.name)
        if versions is None:
            versions = self.charts[entry.name] = []
            bisect.insort(self._names, entry.name, key=chart_order)
        bisect.insort(versions, entry, key=IndexEntry.sort_key)
        self._touch(entry.name)

    @_locked
    def put_many(self, entries: list[IndexEntry]) -> None:
        """:meth:`put` each entry, in order, with the same result; each touched chart's
        versions (and the chart names) are sorted once rather than bisected per entry, so
        a first build of 10,000 versions costs one sort per chart."""
        if len(entries) < BULK_FROM:
            for entry in entries:
                self.put(entry)
            return
        latest = {e.filename: e for e in entries}  # a file put twice: its last entry
        for filename in latest:  # first, while every chart's versions are still sorted
            self.remove(filename)
        added = False
        for entry in latest.values():
            added |= self._append(entry)
        for name in {e.name for e in latest.values()}:
            self.charts[name].sort(key=IndexEntry.sort_key)  # stable: as insort_right
            self._touch(name)
        if added:
            self._names.sort(key=chart_order)

    def _append(self, entry: IndexEntry) -> bool:
        """Add ``entry`` after its chart's versions (a new chart after the names), leaving
        the order to the caller; whether its chart is new."""
        self.entries[entry.filename] = entry
        versions = self.charts.get(entry.name)
        if versions is not None:
            versions.append(entry)
            return False
        self.charts[entry.name] = [entry]
        self._names.append(entry.name)
        return True

    @_locked
    def remove(self, filename: str) -> IndexEntry | None:
        """Drop the entry stored under ``filename``; returns it, or None if unknown."""
        old = self.entries.pop(filename, None)
        if old is None:
            return None
        versions = self.charts[old.name]
        del versions[_position(versions, old)]
        if not versions:
            del self.charts[old.name]
            self._names.remove(old.name)
        self._touch(old.name)
        return old

    @_locked
    def set_generated(self, generated: str) -> None:
        """Set the ``generated`` timestamp (shared by every worker, so bytes agree)."""
        if generated != self.generated:
            self.generated = generated
            self._stale = True

    def _touch(self, name: str) -> None:
        self._blocks.pop(name, None)
        self._block_tags.pop(name, None)
        self._stale = True

    # -- queries ---------------------------------------------------------------------------
    @_locked
    def visible(self, name: str) -> list[IndexEntry]:
        """The versions of chart ``name`` as served: newest first, one record per version."""
        seen: set[str] = set()
        out = []
        for entry in self.charts.get(name, ()):
            if entry.version not in seen:
                seen.add(entry.version)
                out.append(entry)
        return out

    @_locked
    def chart_names(self) -> list[str]:
        """Chart names in byte order (the API's order)."""
        return sorted(self.charts)

    @_locked
    def counts(self) -> tuple[int, int]:
        """(number of charts, number of chart versions) served."""
        return len(self.charts), sum(len(self.visible(n)) for n in self.charts)

    # -- rendering -------------------------------------------------------------------------
    def rendered_now(self) -> RenderedIndex | None:
        """The rendered index if it is current, else None, without waiting or rendering.
        The caller holds what serialises changes (the replica's lock): a render in progress
        elsewhere only replaces the current rendering by an equal one."""
        if self._stale:  # read first: a rendering seen after it is the current one or newer
            return None
        return self._rendered

    @_locked
    def rendered(self) -> RenderedIndex:
        """The index bytes; rebuilt only after a change, and only the changed charts."""
        if self._stale or self._rendered is None:
            if self.json_index:
                body = self._render_json()
                tag = hashlib.blake2b(body, digest_size=16)
            else:
                body = self._render_yaml()
                tag = self._yaml_tag()
            self._rendered = RenderedIndex(body, '"' + tag.hexdigest() + '"', self.files)
            self._stale = False
        return self._rendered

    def _render_yaml(self) -> bytes:
        return render.render_yaml_index(
            self._yaml_pieces(), generated=self.generated, context_path=self.context_path
        )

    def _yaml_pieces(self) -> Iterator[bytes]:
        """Each chart's header and entries, in order. With many charts, each chart's bytes
        are kept as one block, so that a render after a change re-joins only that chart
        (at 1,000 charts: about 1 ms instead of 7); a small index (a tenant's) is joined
        from its entries, rather than holding its bytes a second time."""
        if len(self._names) < BLOCKS_FROM:
            for name in self._names:
                yield from self._chart_yaml(name)
            return
        for name in self._names:
            block = self._blocks.get(name)
            if block is None:
                block = self._blocks[name] = b"".join(self._chart_yaml(name))
            yield block

    def _chart_yaml(self, name: str) -> Iterator[bytes]:
        """One chart's part of the YAML body: its header, then its versions' entries."""
        yield render.yaml_chart_header(name)
        for entry in self.visible(name):
            yield entry.yaml

    def _block_tag(self, name: str) -> bytes:
        tag = self._block_tags.get(name)
        if tag is None:
            block = self._blocks.get(name)  # already joined by the render: one update
            digest = hashlib.blake2b(digest_size=16)
            for piece in self._chart_yaml(name) if block is None else (block,):
                digest.update(piece)
            tag = self._block_tags[name] = digest.digest()
        return tag

    def _yaml_tag(self) -> Any:
        """A digest of the YAML body built from its per-chart block digests, so a change
        re-hashes one chart, not megabytes; equal on every worker for equal content."""
        tag = hashlib.blake2b(digest_size=16)
        tag.update(f"{self.generated}\0{self.context_path}\0".encode())
        for name in self._names:
            tag.update(self._block_tag(name))
        return tag

    def _render_json(self) -> bytes:
        items = ((name, [e.json for e in self.visible(name)]) for name in self.chart_names())
        return render.render_json_index(
            items, generated=self.generated, context_path=self.context_path
        )

    @_locked
    def json_listing(self, names: Iterable[str]) -> bytes:
        """``{"name":[versions...],...}`` for the given chart names, as the list API sends."""
        parts = []
        for name in names:
            versions = b",".join(e.json for e in self.visible(name))
            parts.append(go_json(name) + b":[" + versions + b"]")
        return b"{" + b",".join(parts) + b"}"
