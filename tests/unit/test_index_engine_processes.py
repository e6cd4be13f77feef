"""The index engine across real processes sharing a cache folder (the file change log).

Storage is a local folder whose change token is hidden, and ``cache_interval`` is 0, so a
process learns of another's change only through the shared journal.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

from app.index.changelog_files import FileChangeLogs
from app.index.engine import IndexEngine
from app.index.engine import IndexSettings
from backends.local import LocalFilesystemBackend
from tests.unit.index_fakes import upload


class TokenlessLocal(LocalFilesystemBackend):
    """Local storage that cannot tell when its folder changed."""

    def change_token(self, prefix: str) -> str | None:
        return None


def _worker(root: str) -> IndexEngine:
    settings = IndexSettings(
        cache_dir=os.path.join(root, "cache"),
        statefiles=False,
        cache_interval=0,
        upkeep_delay=3600,
    )
    storage = os.path.join(root, "storage")
    os.makedirs(storage, exist_ok=True)
    return IndexEngine(TokenlessLocal(storage), settings)


def _upload_many(root: str, first: int, count: int) -> None:
    worker = _worker(root)
    for i in range(first, first + count):
        upload(worker, f"p{i}")


def test_concurrent_appends_from_processes_are_all_kept(tmp_path) -> None:
    root = str(tmp_path)
    parent = _worker(root)
    assert parent.read("").entries == {}  # snapshot written; the journal starts empty
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_upload_many, args=(root, n * 10, 10)) for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    expected = {f"p{i}-0.1.0.tgz" for i in range(40)}
    log = FileChangeLogs(os.path.join(root, "cache")).for_repo("")
    snap = log.read_snapshot()
    events, restarted = log.read_events(log.open_cursor())
    assert snap is not None and not restarted
    seqs = [e.seq for e in events]  # whole lines, each taken under the lock: no seq twice
    assert seqs == list(range(snap.seq + 1, snap.seq + 1 + len(events)))
    assert {entry.filename for e in events for entry in e.put} == expected
    assert set(parent.read("").entries) == expected
    assert parent.read("").rendered().body == _worker(root).read("").rendered().body


def test_fork_shares_state_both_ways(tmp_path) -> None:
    root = str(tmp_path)
    parent = _worker(root)
    upload(parent, "parent")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a forked gunicorn worker, in effect
        os.close(reader)
        status = 1
        try:
            seen = set(parent.read("").entries) == {"parent-0.1.0.tgz"}
            upload(parent, "child")
            status = 0 if seen else 2
        finally:
            os.write(writer, bytes([status]))
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as fh:
        status = fh.read(1)
    os.waitpid(pid, 0)
    assert status == b"\0"
    assert set(parent.read("").entries) == {"parent-0.1.0.tgz", "child-0.1.0.tgz"}


def test_a_fork_while_a_thread_holds_the_lock_does_not_keep_it(tmp_path) -> None:
    """gunicorn forks while the master's background writer may hold a repository's lock."""
    log = FileChangeLogs(os.path.join(str(tmp_path), "cache")).for_repo("")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with log._acquire():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    pid = os.fork()
    if pid == 0:  # the child waits for the lock the parent's thread is about to release
        code = 1
        try:
            signal.alarm(20)
            with log._acquire():
                code = 0
        finally:
            os._exit(code)
    release.set()
    thread.join(30)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
