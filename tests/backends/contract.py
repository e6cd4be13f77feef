"""The storage contract: one behavioural suite that every backend passes.

A backend's test module supplies a ``make_backend`` fixture returning a callable
``(prefix: str) -> StorageBackend`` (a fresh backend confined to ``prefix``) and declares
``class TestX(BackendContract): ...``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from backends.base import ObjectExists
from backends.base import ObjectNotFound
from backends.base import StorageBackend

MakeBackend = Callable[[str], StorageBackend]


class BackendContract:
    """Behaviour common to every storage backend."""

    @pytest.fixture
    def backend(self, make_backend: MakeBackend) -> StorageBackend:
        return make_backend(f"contract-{uuid.uuid4().hex[:10]}")

    def test_put_get_roundtrip(self, backend: StorageBackend) -> None:
        info = backend.put_object("a.tgz", b"hello")
        assert info.path == "a.tgz" and info.size == 5
        obj = backend.get_object("a.tgz")
        assert obj.content == b"hello"
        assert abs(obj.last_modified_ns / 1e9 - time.time()) < 3600

    def test_scratch_objects_are_stored_like_others(self, backend: StorageBackend) -> None:
        info = backend.put_object("s/.oci/x", b"scratch", durable=False)
        assert info.size == 7 and backend.get_object("s/.oci/x").content == b"scratch"
        with pytest.raises(ObjectExists):
            backend.put_object("s/.oci/x", b"again", overwrite=False, durable=False)

    def test_get_missing_raises(self, backend: StorageBackend) -> None:
        with pytest.raises(ObjectNotFound):
            backend.get_object("missing.tgz")

    def test_stat_object(self, backend: StorageBackend) -> None:
        backend.put_object("org1/x.tgz", b"12345")
        info = backend.stat_object("org1/x.tgz")
        assert info is not None and info.size == 5 and info.last_modified_ns > 0
        assert backend.stat_object("org1/y.tgz") is None
        assert backend.stat_object("org1") is None

    def test_local_files_agree_with_the_objects(self, backend: StorageBackend) -> None:
        backend.put_object("org1/x.tgz", b"12345")
        path, file = backend.local_path("org1/x.tgz"), backend.local_file("org1/x.tgz")
        if path is None:  # an object store: nothing to send with sendfile(2)
            assert file is None
            return
        assert file == path
        with open(path, "rb") as fh:
            assert fh.read() == b"12345"
        missing = backend.local_path("org1/y.tgz")  # where it would be, unchecked
        assert missing is not None and backend.local_file("org1/y.tgz") is None
        assert backend.local_file("org1") is None  # a folder is no object

    def test_list_is_not_recursive_and_isolates_tenants(self, backend: StorageBackend) -> None:
        backend.put_object("org1/a.tgz", b"aaa")
        backend.put_object("org1/index-cache.yaml", b"x")
        backend.put_object("org1/team/b.tgz", b"b")
        backend.put_object("org1x.tgz", b"c")
        backend.put_object("org10/c.tgz", b"c")
        listed = {o.path: o for o in backend.list_objects("org1")}
        assert set(listed) == {"a.tgz", "index-cache.yaml"}
        assert listed["a.tgz"].size == 3
        assert abs(listed["a.tgz"].last_modified_ns / 1e9 - time.time()) < 3600
        assert {o.path for o in backend.list_objects("org1/team")} == {"b.tgz"}
        assert {o.path for o in backend.list_objects("")} == {"org1x.tgz"}

    def test_list_missing_folder_is_empty(self, backend: StorageBackend) -> None:
        assert backend.list_objects("nothing/here") == []

    def test_list_timestamps_agree_with_get(self, backend: StorageBackend) -> None:
        backend.put_object("t.tgz", b"t")
        listed = backend.list_objects("")[0].last_modified_ns
        got = backend.get_object("t.tgz").last_modified_ns
        stat = backend.stat_object("t.tgz")
        assert stat is not None
        assert (
            abs(listed - got) < 1_000_000_000 and abs(stat.last_modified_ns - got) < 1_000_000_000
        )

    def test_overwrite_replaces(self, backend: StorageBackend) -> None:
        first = backend.put_object("o.tgz", b"one")
        second = backend.put_object("o.tgz", b"second")
        assert backend.get_object("o.tgz").content == b"second"
        assert (
            second.size == 6 and second.last_modified_ns >= first.last_modified_ns - 1_000_000_000
        )

    def test_put_without_overwrite_refuses_existing(self, backend: StorageBackend) -> None:
        backend.put_object("once.tgz", b"first")
        with pytest.raises(ObjectExists):
            backend.put_object("once.tgz", b"second", overwrite=False)
        assert backend.get_object("once.tgz").content == b"first"
        backend.put_object("fresh.tgz", b"new", overwrite=False)
        assert backend.get_object("fresh.tgz").content == b"new"

    def test_concurrent_creates_exactly_one_wins(self, backend: StorageBackend) -> None:
        results: list[str] = []

        def create(i: int) -> None:
            try:
                backend.put_object("race.tgz", f"v{i}".encode(), overwrite=False)
                results.append(f"v{i}")
            except ObjectExists:
                results.append("exists")

        threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if r != "exists"]
        assert len(winners) == 1
        assert backend.get_object("race.tgz").content == winners[0].encode()

    def test_delete(self, backend: StorageBackend) -> None:
        backend.put_object("d.tgz", b"d")
        backend.delete_object("d.tgz")
        with pytest.raises(ObjectNotFound):
            backend.get_object("d.tgz")
        with pytest.raises(ObjectNotFound):
            backend.delete_object("d.tgz")
        assert backend.list_objects("") == []

    def test_large_object(self, backend: StorageBackend) -> None:
        data = os.urandom(10 * 1024 * 1024)
        backend.put_object("big.tgz", data)
        assert backend.get_object("big.tgz").content == data
        assert backend.list_objects("")[0].size == len(data)

    def test_special_names(self, backend: StorageBackend) -> None:
        name = "my chart+1.0.0-rc.1 ü.tgz"
        backend.put_object(f"org 1/{name}", b"x")
        assert backend.get_object(f"org 1/{name}").content == b"x"
        assert [o.path for o in backend.list_objects("org 1")] == [name]

    def test_prefixes_are_isolated(self, make_backend: MakeBackend) -> None:
        base = f"iso-{uuid.uuid4().hex[:8]}"
        one, other = make_backend(base), make_backend(base + "x")
        one.put_object("a.tgz", b"1")
        other.put_object("b.tgz", b"2")
        assert [o.path for o in one.list_objects("")] == ["a.tgz"]
        assert [o.path for o in other.list_objects("")] == ["b.tgz"]

    @pytest.mark.slow
    def test_listing_is_paginated(self, backend: StorageBackend) -> None:
        names = {f"p{i:04d}.tgz" for i in range(1500)}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: backend.put_object(f"many/{n}", b"x"), names))
        assert {o.path for o in backend.list_objects("many")} == names
