"""The index engine on its own: storage in memory, change logs in memory or in files.

Each engine is one "worker": engines built on the same backend and the same change logs
must agree, whatever they learn only through the logs (the memory backend has no change
token and ``cache_interval`` is 0, so nothing is noticed by re-listing storage).
"""

from __future__ import annotations

import threading

import pytest

from app.index import changelog_files
from app.index.changelog import ChangeLogs
from app.index.changelog_files import FileChangeLogs
from app.index.engine import IndexEngine
from app.index.engine import IndexSettings
from tests.unit.index_fakes import MemoryBackend
from tests.unit.index_fakes import MemoryChangeLogs
from tests.unit.index_fakes import remove
from tests.unit.index_fakes import upload


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture(params=["memory", "file"])
def logs(request, tmp_path, monkeypatch) -> ChangeLogs:
    if request.param == "file":
        monkeypatch.setattr(changelog_files, "COMPACT_BYTES", 4096)
        return FileChangeLogs(str(tmp_path / "cache"))
    return MemoryChangeLogs(compact_events=5)


def _worker(backend, logs, tmp_path, statefiles: bool = False) -> IndexEngine:
    settings = IndexSettings(
        cache_dir=str(tmp_path / "cache"),
        statefiles=statefiles,
        cache_interval=0,
        upkeep_delay=3600,  # upkeep runs only when a test flushes
    )
    return IndexEngine(backend, settings, logs)


def _journal(logs: ChangeLogs):
    """(snapshot, events in the current journal) of the root repository."""
    log = logs.for_repo("")
    snap = log.read_snapshot()
    events, restarted = log.read_events(log.open_cursor())
    assert not restarted
    return snap, events


def test_change_reaches_other_workers_only_through_the_log(backend, logs, tmp_path) -> None:
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    assert b.read("").entries == {}
    upload(a, "one")
    assert list(b.read("").entries) == ["one-0.1.0.tgz"]
    upload(b, "two")
    remove(b, "one-0.1.0.tgz")
    assert list(a.read("").entries) == ["two-0.1.0.tgz"]
    assert a.read("").rendered().body == b.read("").rendered().body
    assert a.read("").rendered().etag == b.read("").rendered().etag


def test_a_failed_change_records_nothing(backend, logs, tmp_path) -> None:
    a = _worker(backend, logs, tmp_path)
    upload(a, "one")
    _, before = _journal(logs)
    with pytest.raises(RuntimeError), a.change("") as change:
        change.delete("one-0.1.0.tgz")
        raise RuntimeError("storage said no")
    assert _journal(logs)[1] == before
    assert list(a.read("").entries) == ["one-0.1.0.tgz"]


def test_upkeep_folds_the_journal_into_a_snapshot(backend, logs, tmp_path) -> None:
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    b.read("")  # b follows the journal from its first generation
    names = [f"chart{i}" for i in range(12)]
    for name in names:
        upload(a, name)
    remove(a, "chart0-0.1.0.tgz")
    generation = logs.for_repo("").open_cursor().generation
    assert len(_journal(logs)[1]) == 13

    a.flush()

    snap, events = _journal(logs)
    assert events == []
    assert logs.for_repo("").open_cursor().generation != generation
    assert snap is not None and snap.seq == a.current("").seq
    assert sorted(e.name for e in snap.entries) == sorted(names[1:])
    assert b.read("").rendered().body == a.read("").rendered().body  # b saw the restart
    reads = backend.reads
    fresh = _worker(backend, logs, tmp_path)
    assert fresh.read("").rendered().body == a.read("").rendered().body
    assert backend.reads == reads  # loaded from the snapshot: no package read again
    upload(fresh, "after")
    assert "after-0.1.0.tgz" in a.read("").entries and "after-0.1.0.tgz" in b.read("").entries


def _snapshot_loads(monkeypatch: pytest.MonkeyPatch, engine: IndexEngine) -> list[str]:
    """Record the repositories whose snapshot ``engine`` decodes from now on."""
    loads: list[str] = []
    replica = engine.replica("")
    real = replica.log.read_snapshot

    def counted():  # type: ignore[no-untyped-def]
        loads.append(replica.repo)
        return real()

    monkeypatch.setattr(replica.log, "read_snapshot", counted)
    return loads


def test_a_worker_holding_the_compacted_state_follows_without_reloading(
    backend, logs, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    for i in range(12):
        upload(a, f"chart{i}")
    body = b.read("").rendered().body  # b is up to date when a compacts
    loads = _snapshot_loads(monkeypatch, b)
    a.flush()
    upload(a, "after")
    index = b.read("")
    assert loads == []  # the new journal only
    assert index.rendered().body == a.read("").rendered().body != body
    assert "after-0.1.0.tgz" in index.entries


def test_a_worker_behind_the_compaction_reloads_the_snapshot(
    backend, logs, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    b.read("")
    for i in range(12):
        upload(a, f"chart{i}")  # b has read none of these when a compacts
    loads = _snapshot_loads(monkeypatch, b)
    a.flush()
    upload(a, "after")
    assert b.read("").rendered().body == a.read("").rendered().body
    assert loads == [""]
    assert len(b.read("").entries) == 13


def test_a_large_index_is_folded_only_once_a_quarter_of_it_changed(backend, logs, tmp_path) -> None:
    a = _worker(backend, logs, tmp_path)
    for i in range(40):
        upload(a, f"chart{i}")
    a.flush()
    assert _journal(logs)[1] == []  # 40 changes to 40 versions: folded
    for i in range(13):  # 13 changes: not more than a quarter of 53 versions
        upload(a, f"more{i}")
    a.flush()
    assert len(_journal(logs)[1]) == 13
    upload(a, "more13")  # 14 changes, 54 versions
    a.flush()
    assert _journal(logs)[1] == []


def test_upkeep_leaves_a_short_journal_alone(backend, logs, tmp_path) -> None:
    a = _worker(backend, logs, tmp_path)
    upload(a, "one")
    a.flush()
    assert len(_journal(logs)[1]) == 1


def test_concurrent_changes_from_threads_are_all_kept(backend, logs, tmp_path) -> None:
    workers = [_worker(backend, logs, tmp_path) for _ in range(4)]
    workers[0].read("")
    errors: list[BaseException] = []

    def run(worker: IndexEngine, first: int) -> None:
        try:
            for i in range(first, first + 10):
                upload(worker, f"c{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(workers[n % 4], n * 10)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {f"c{i}-0.1.0.tgz" for i in range(80)}
    for worker in workers:
        assert set(worker.read("").entries) == expected
    snap, events = _journal(logs)
    seqs = [e.seq for e in events]
    assert seqs == list(range(snap.seq + 1, snap.seq + 1 + len(events)))  # none lost or doubled
    assert {e.put[0].filename for e in events} == expected


def test_outage_serves_storage_then_republishes(backend, tmp_path) -> None:
    logs = MemoryChangeLogs()
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    upload(a, "before")
    logs.down = True
    assert list(b.read("").entries) == ["before-0.1.0.tgz"]  # never empty, never wrong
    upload(a, "during")  # storage still takes the change
    assert set(b.read("").entries) == {"before-0.1.0.tgz", "during-0.1.0.tgz"}
    assert b.current("").degraded

    logs.down = False
    logs.shared.clear()  # the shared state came back empty (a restarted Redis)
    assert set(a.read("").entries) == {"before-0.1.0.tgz", "during-0.1.0.tgz"}
    assert not a.current("").degraded
    snap, _ = _journal(logs)
    assert snap is not None  # rebuilt from storage and published again
    assert {e.filename for e in snap.entries} == {"before-0.1.0.tgz", "during-0.1.0.tgz"}
    reads = backend.reads
    late = _worker(backend, logs, tmp_path)
    assert late.read("").rendered().body == a.read("").rendered().body
    assert backend.reads == reads
    upload(b, "after")  # b recovers on its next use and publishes again
    assert "after-0.1.0.tgz" in late.read("").entries


def test_unknown_repositories_leave_no_state(backend, logs, tmp_path) -> None:
    a = _worker(backend, logs, tmp_path)
    assert a.read("nope").entries == {}
    assert logs.existing_repos() == []
    upload(a, "one", repo="org")
    assert logs.existing_repos() == ["org"]


def test_peek_gives_the_rendering_only_when_knowing_it_is_current_takes_no_work(
    backend, logs, tmp_path
) -> None:
    a, b = _worker(backend, logs, tmp_path), _worker(backend, logs, tmp_path)
    upload(b, "one")
    assert a.peek("") is None  # not loaded in this worker
    rendered = a.read("").rendered()
    assert a.peek("") is rendered
    upload(b, "two")  # news in the log: applied, and the index must be rendered again
    assert a.peek("") is None
    again = a.read("").rendered()
    assert b"two" in again.body and a.peek("") is again


def test_peek_does_not_wait_for_a_change_in_progress(backend, logs, tmp_path) -> None:
    engine = _worker(backend, logs, tmp_path)
    upload(engine, "one")
    engine.read("").rendered()
    inside, leave = threading.Event(), threading.Event()

    def change() -> None:
        with engine.change(""):
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=change)
    thread.start()
    try:
        assert inside.wait(10)
        assert engine.peek("") is None
    finally:
        leave.set()
        thread.join()
    assert engine.peek("") is not None


def test_peek_leaves_a_change_log_over_the_network_to_a_read(backend, tmp_path) -> None:
    logs = MemoryChangeLogs()
    logs.local = False  # as Redis: reading it is a round trip
    engine = _worker(backend, logs, tmp_path)
    upload(engine, "one")
    engine.read("").rendered()
    assert engine.peek("") is None
