"""A repository's listing taken ahead of time by a forked child (``app.index.listing``)."""

from __future__ import annotations

import os
import threading

import pytest

from app.index import build
from app.index import listing
from app.index.engine import IndexEngine
from app.index.engine import IndexSettings
from app.index.listing import ListingAhead
from app.index.listing import list_now
from backends.local import LocalFilesystemBackend
from tests.unit.chart_packages import chart
from tests.unit.index_fakes import MemoryBackend


def _package(name: str, version: str = "1.0.0") -> bytes:
    return chart(
        chart_yaml=f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode(), top=name
    )


def _wait_for_exit(ahead: ListingAhead) -> None:
    """Block until the child has listed and exited, without reaping it."""
    os.waitid(os.P_PID, ahead._pid, os.WEXITED | os.WNOWAIT)


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture(autouse=True)
def single_threaded(monkeypatch) -> None:
    """The command forks before it starts any thread; the test process may hold others
    (timers of earlier tests' engines), which the children here never touch."""
    monkeypatch.setattr(listing, "_single_threaded", lambda: True)


@pytest.fixture
def backend(tmp_path) -> LocalFilesystemBackend:
    store = LocalFilesystemBackend(str(tmp_path / "store"))
    for name in ("a", "b"):
        store.put_object(f"{name}-1.0.0.tgz", _package(name))
    store.put_object("org1/c-1.0.0.tgz", _package("c"))
    return store


def test_the_listing_taken_ahead_is_the_listing_now(backend) -> None:
    ahead = ListingAhead.start(backend, "")
    assert ahead is not None
    taken = ahead.take()
    assert taken == list_now(backend, "")
    assert sorted(o.path for o in taken.objects) == ["a-1.0.0.tgz", "b-1.0.0.tgz"]
    assert _reaped(ahead._pid)
    assert ahead.take() is None  # once


def test_a_listing_not_taken_leaves_no_process(backend) -> None:
    for i in range(3000):  # far more than a pipe holds: the child is still writing
        backend.put_object(f"{'long-name-' * 10}{i}-1.0.0.tgz", b"x")
    ahead = ListingAhead.start(backend, "")
    assert ahead is not None
    ahead.discard()
    assert _reaped(ahead._pid)


def test_a_child_that_fails_gives_no_listing(backend, monkeypatch) -> None:
    parent = os.getpid()
    real = LocalFilesystemBackend.list_objects

    def failing_in_child(self, prefix):
        if os.getpid() != parent:
            raise OSError("storage gone")
        return real(self, prefix)

    monkeypatch.setattr(LocalFilesystemBackend, "list_objects", failing_in_child)
    ahead = ListingAhead.start(backend, "")
    assert ahead is not None
    assert ahead.take() is None


def test_not_taken_where_a_fork_is_not_safe(backend, monkeypatch) -> None:
    assert ListingAhead.start(MemoryBackend(), "") is None  # not usable from a child
    monkeypatch.undo()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert ListingAhead.start(backend, "") is None  # a process with threads
    finally:
        stop.set()
        other.join()


def test_a_change_after_the_listing_is_seen(backend, tmp_path) -> None:
    settings = IndexSettings(cache_dir=str(tmp_path / "cache"), cache_interval=0, upkeep_delay=3600)
    engine = IndexEngine(backend, settings)
    ahead = ListingAhead.start(backend, "")
    assert ahead is not None
    _wait_for_exit(ahead)
    backend.put_object("late-1.0.0.tgz", _package("late"))
    backend.delete_object("a-1.0.0.tgz")
    engine.list_ahead(ahead)
    # the listing is older than the folder's token: the same read lists again
    assert sorted(engine.read("").entries) == ["b-1.0.0.tgz", "late-1.0.0.tgz"]
    assert _reaped(ahead._pid)  # taken


def test_a_package_rewritten_in_place_after_the_listing_is_seen(backend, tmp_path) -> None:
    settings = IndexSettings(cache_dir=str(tmp_path / "cache"), cache_interval=0, upkeep_delay=3600)
    IndexEngine(backend, settings).read("")  # a snapshot, as a restart finds it
    restarted = IndexEngine(backend, settings)
    ahead = ListingAhead.start(backend, "")
    assert ahead is not None
    _wait_for_exit(ahead)
    path = os.path.join(backend.rootdir, "a-1.0.0.tgz")
    with open(path, "r+b") as fh:  # same name, same folder: the folder's token stays
        fh.write(_package("a", "1.0.0"))
        fh.truncate()
    os.utime(path, ns=(1, 1))
    restarted.list_ahead(ahead)
    restarted.read("")  # may answer from the listing taken before the rewrite
    assert _reaped(ahead._pid)  # taken
    # its rewrite count was read before the child listed: the rewrite is seen
    assert restarted.read("").entries["a-1.0.0.tgz"].mtime_ns == 1


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("kind", ["read in the pool", "read in this process"])
def test_packages_deleted_after_the_listing_are_gone_not_errors(tmp_path, workers, kind) -> None:
    store = LocalFilesystemBackend(str(tmp_path / "store"))
    if kind == "read in this process":
        store = MemoryBackend()
    names = [f"c{i}-1.0.0.tgz" for i in range(build.POOL_THRESHOLD)]
    for i, name in enumerate(names):
        store.put_object(name, _package(f"c{i}"))
    for name in names[::2]:
        store.delete_object(name)
    results = build.parse_packages(
        build.StorageReader(store, ""), names, build.UrlScheme(), workers
    )
    vanished = sorted(f for f, entry, error in results if error == build.VANISHED)
    assert vanished == sorted(names[::2])
    assert sorted(f for f, entry, _ in results if entry is not None) == sorted(names[1::2])


def test_the_first_start_on_a_storage_folder_lists_it_once(backend, monkeypatch) -> None:
    """The state folder the start creates inside the storage folder moves the folder's
    change token: it must exist before the listing is taken, or the listing taken ahead is
    stale at once and the whole folder is listed and compared again."""
    from app.cli import prime
    from app.config import load_config
    from app.index.scan import StorageScanner
    from app.startup import normalise

    scans: list[str] = []
    real_scan = StorageScanner.scan

    def counting(self, replica):
        scans.append(replica.repo)
        return real_scan(self, replica)

    monkeypatch.setattr(StorageScanner, "scan", counting)
    state_at_listing: list[bool] = []
    real_start = ListingAhead.start.__func__

    def start(cls, store, repo):
        state_at_listing.append(os.path.isdir(os.path.join(store.rootdir, ".chartmuseum")))
        return real_start(cls, store, repo)

    monkeypatch.setattr(ListingAhead, "start", classmethod(start))
    argv = ["--storage=local", f"--storage-local-rootdir={backend.rootdir}", "--disable-statefiles"]
    config = normalise(load_config(argv, {}))
    assert not os.path.exists(os.path.join(backend.rootdir, ".chartmuseum"))
    repository = prime(config)
    assert sorted(repository.index("").entries) == ["a-1.0.0.tgz", "b-1.0.0.tgz"]
    assert state_at_listing == [True]
    assert scans == [""]
