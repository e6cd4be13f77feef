"""Rendering joins kept per-chart blocks in large indexes and entries in small ones: the
bytes and the ETag are the same either way, after any sequence of changes."""

from __future__ import annotations

import dataclasses
import random

import pytest

from app.index.build import UrlScheme
from app.index.build import entry_from_metadata
from app.index.chart_index import BLOCKS_FROM
from app.index.chart_index import BULK_FROM
from app.index.chart_index import ChartIndex
from app.index.entry import IndexEntry


def entry(name: str, version: str) -> IndexEntry:
    metadata = {"apiVersion": "v2", "name": name, "version": version, "description": "d"}
    content = f"{name}-{version}".encode()
    return entry_from_metadata(metadata, f"{name}-{version}.tgz", content, 10**18, UrlScheme())


def fresh(entries: list[IndexEntry]) -> ChartIndex:
    index = ChartIndex()
    index.set_generated("2026-12-02T00:00:00Z")
    for e in entries:
        index.put(e)
    return index


@pytest.mark.parametrize("charts", [3, BLOCKS_FROM + 5])
def test_renders_after_changes_equal_a_fresh_render(charts: int) -> None:
    entries = [entry(f"c{c:03d}", f"1.{v}.0") for c in range(charts) for v in range(3)]
    index = fresh(entries)
    first = index.rendered()
    added, gone = entry("c001", "2.0.0"), entries[4]
    index.put(added)
    index.remove(gone.filename)
    changed = index.rendered()
    expected = fresh([e for e in entries if e is not gone] + [added]).rendered()
    assert changed.body == expected.body and changed.etag == expected.etag
    assert changed.body != first.body and changed.etag != first.etag
    assert bool(index._blocks) == (charts >= BLOCKS_FROM)  # kept only for many charts


def test_removing_a_version_finds_it_without_comparing_entries(monkeypatch) -> None:
    versions = [entry("big", f"1.{i}.0") for i in range(300)]
    index = fresh(versions)
    # a copy of an entry by another file name sorts next to it: the removal takes the right one
    twin = dataclasses.replace(versions[7], filename="big-copy.tgz")
    index.put(twin)

    def no_equality(self: IndexEntry, other: object) -> bool:
        raise AssertionError("entries compared field by field")

    monkeypatch.setattr(IndexEntry, "__eq__", no_equality)
    for e in versions[::3]:
        assert index.remove(e.filename) is e
    monkeypatch.undo()
    left = [e.filename for e in index.charts["big"]]
    expected = sorted([*versions, twin], key=IndexEntry.sort_key)
    assert left == [e.filename for e in expected if e not in versions[::3]]


@pytest.mark.parametrize("size", [5, BULK_FROM + 40])
def test_putting_many_entries_at_once_equals_putting_them_one_by_one(size: int) -> None:
    rng = random.Random(size)
    before = [entry(f"c{c:02d}", f"1.{v}.0") for c in range(0, 20, 2) for v in range(3)]
    batch = [entry(f"c{rng.randrange(20):02d}", f"{rng.randrange(3)}.{v}.0") for v in range(size)]
    # the same file names again, with other content: replaced, not added twice
    batch += [dataclasses.replace(e, digest="other") for e in rng.sample(before, 4)]
    batch.append(dataclasses.replace(batch[0], filename="c-copy.tgz"))  # sorts next to it
    batch += [dataclasses.replace(e, digest="again") for e in batch[:3]]  # twice in one batch
    head, tail = batch[:-3], batch[-3:]
    rng.shuffle(head)
    batch = head + tail  # the repeated files' later entries come last
    one_by_one, at_once = fresh(before), fresh(before)
    one_by_one.rendered(), at_once.rendered()
    for e in batch:
        one_by_one.put(e)
    at_once.put_many(batch)
    assert at_once._names == one_by_one._names
    for name, versions in one_by_one.charts.items():
        assert [id(e) for e in at_once.charts[name]] == [id(e) for e in versions]
    assert at_once.entries == one_by_one.entries
    assert at_once.rendered().body == one_by_one.rendered().body
    assert at_once.rendered().etag == one_by_one.rendered().etag
