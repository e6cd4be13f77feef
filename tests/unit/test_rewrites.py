"""backends.rewrites: in-place writes counted per folder, and what happens without inotify."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys

import pytest

from backends import rewrites
from backends.rewrites import RewriteWatch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")


def _package(name: str) -> bool:
    return name.endswith(".tgz")


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    # the app's logger stops propagating once an app was built in this process
    monkeypatch.setattr(logging.getLogger("chartmuseum"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="chartmuseum"):
        yield caplog


def _folder(tmp_path, name: str) -> str:
    path = os.path.join(str(tmp_path), name)
    os.makedirs(path)
    return path


def _rewrite(folder: str, name: str) -> None:
    with open(os.path.join(folder, name), "ab") as fh:
        fh.write(b"x")


@linux
def test_new_watch_forces_one_rescan_then_counts_relevant_writes(tmp_path) -> None:
    watch, folder = RewriteWatch(_package), _folder(tmp_path, "repo")
    assert watch.count(folder) == 1  # unknown past: one re-scan
    assert watch.count(folder) == 1
    _rewrite(folder, "notes.txt")
    assert watch.count(folder) == 1
    _rewrite(folder, "chart-1.0.0.tgz")
    assert watch.count(folder) > 1


@linux
def test_queue_overflow_moves_every_folders_counter(tmp_path) -> None:
    with open("/proc/sys/fs/inotify/max_queued_events") as fh:
        queue = int(fh.read())
    if queue > 200_000:
        pytest.skip(f"an event queue of {queue} takes too long to fill")
    watch = RewriteWatch(_package)
    busy, quiet = _folder(tmp_path, "busy"), _folder(tmp_path, "quiet")
    watch.count(busy)
    before = watch.count(quiet)
    with open(os.path.join(busy, "a.txt"), "wb") as a, open(os.path.join(busy, "b.txt"), "wb") as b:
        for n in range(queue + 10):  # alternate files: the kernel merges repeated events
            fh = (a, b)[n % 2]
            fh.write(b"x")
            fh.flush()
    assert watch.count(quiet) == before + 1  # nothing happened there, but events were lost


class _Unavailable:
    created = 0

    def __init__(self, nonblocking: bool = False) -> None:
        type(self).created += 1
        raise OSError(errno.EMFILE, "Too many open files")


def test_no_inotify_instance_warns_once_and_counts_stay_put(
    tmp_path, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rewrites, "INotify", _Unavailable)
    watch, folder = RewriteWatch(_package), _folder(tmp_path, "repo")
    for _ in range(3):
        assert watch.count(folder) == 0
        _rewrite(folder, "chart-1.0.0.tgz")
    assert _Unavailable.created == 1  # not retried on every request
    assert logged.messages == ["Cannot watch for packages rewritten in place"]


def test_without_the_library_counts_stay_put(
    tmp_path, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rewrites, "INotify", None)  # as on a system without inotify_simple
    watch, folder = RewriteWatch(_package), _folder(tmp_path, "repo")
    assert [watch.count(folder), watch.count(folder)] == [0, 0]
    assert logged.messages == ["Cannot watch for packages rewritten in place"]


@linux
def test_watch_limit_reached_warns_once_and_counts_stay_put(
    tmp_path, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    class Full(rewrites.INotify):  # a real instance whose watches are all refused
        def add_watch(self, path, mask):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rewrites, "INotify", Full)
    watch = RewriteWatch(_package)
    first, second = _folder(tmp_path, "first"), _folder(tmp_path, "second")
    for _ in range(2):
        assert (watch.count(first), watch.count(second)) == (0, 0)
        _rewrite(first, "chart-1.0.0.tgz")
    assert logged.messages == ["inotify watch limit reached: see fs.inotify.max_user_watches"]


@linux
def test_missing_folder_is_watched_once_it_exists(tmp_path) -> None:
    watch, folder = RewriteWatch(_package), os.path.join(str(tmp_path), "later")
    assert watch.count(folder) == 0
    os.makedirs(folder)
    assert watch.count(folder) == 1


_FORK = """
import os, sys
from backends.rewrites import RewriteWatch

watch, folder = RewriteWatch(lambda name: name.endswith(".tgz")), sys.argv[1]
parent = watch.count(folder)
if sys.argv[2] == "missed":  # written after the parent last looked, before the fork
    with open(os.path.join(folder, "chart-0.1.0.tgz"), "ab") as fh:
        fh.write(b"x")
pid = os.fork()
if pid == 0:
    first = watch.count(folder)
    with open(os.path.join(folder, "chart-1.0.0.tgz"), "ab") as fh:
        fh.write(b"x")
    later = watch.count(folder)  # its own watch sees its own write
    expected = parent + 1 if sys.argv[2] == "missed" else parent
    os._exit(0 if first == expected and later > first else 3)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, "child"
assert watch.count(folder) > parent, "parent"  # its own watch saw the writes
"""


@linux
@pytest.mark.parametrize("before_fork", ["quiet", "missed"])
def test_forked_child_keeps_the_count_unless_its_parent_missed_a_write(
    tmp_path, before_fork: str
) -> None:
    folder = _folder(tmp_path, "repo")
    command = [sys.executable, "-c", _FORK, folder, before_fork]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
