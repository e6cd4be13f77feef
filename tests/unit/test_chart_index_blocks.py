"""Rendering joins kept per-chart blocks in large indexes and entries in small ones: the
bytes and the ETag are the same either way, after any sequence of changes."""

from __future__ import annotations

import dataclasses

import pytest

from app.index.build import UrlScheme
from app.index.build import entry_from_metadata
from app.index.chart_index import BLOCKS_FROM
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
