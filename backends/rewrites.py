"""Notice files rewritten in place in local folders (Linux inotify, through inotify_simple).

Writing into an existing file (``cp new.tgz repo/old.tgz``) changes neither the folder's
mtime nor its listing, so the folder ``stat`` that detects added and removed files misses
it. Each process watches the folders it serves for writes to the files that matter; a
check costs one non-blocking read (timeout 0) of the inotify descriptor. Without inotify
(another system, or the per-user instance or watch limits reached) a warning is logged and
the counters simply stay put.
"""

from __future__ import annotations

import array
import errno
import fcntl
import logging
import os
import termios
import threading
from collections.abc import Callable
from typing import Any

try:
    from inotify_simple import INotify
    from inotify_simple import flags
except ImportError:  # not Linux: the package is not installed there
    INotify = flags = None

log = logging.getLogger("chartmuseum")

UNWATCHABLE = -1


def _start() -> Any:
    """A non-blocking inotify instance, or None (and a warning) where there can be none."""
    try:
        if INotify is None:
            raise OSError(errno.ENOSYS, "inotify is available on Linux only")
        return INotify(nonblocking=True)
    except (OSError, AttributeError) as exc:  # AttributeError: a libc without inotify
        fields = {"error": str(exc)}
        log.warning("Cannot watch for packages rewritten in place", extra={"fields": fields})
        return None


class RewriteWatch:
    """Per-process counters of in-place writes to files of watched folders.

    A folder's counter also moves when this process starts watching it: what happened
    before is unknown, so the caller re-scans once. A forked child watches anew, but a
    folder its parent watched keeps its count unless the parent's queue holds events the
    parent has not read (the parent's watch covers the time until the child's own starts),
    so workers forked after the index was loaded do not re-scan it. Every counter moves when
    the kernel's event queue overflowed. Create one per process and share it: each holds an
    inotify instance, of which a user has few.

    :param relevant: which file names count (others, such as temporary files, do not).
    """

    def __init__(self, relevant: Callable[[str], bool]) -> None:
        self.relevant = relevant
        self._lock = threading.Lock()
        self._inotify: Any = None
        self._available = True  # until inotify turns out to be missing
        self._watches: dict[str, int] = {}
        self._folders: dict[int, str] = {}
        self._counts: dict[str, int] = {}
        self._parent: Any = None  # the inotify instance inherited from the parent, if any
        self._inherited: set[str] = set()  # folders the parent watched
        os.register_at_fork(after_in_child=self._after_fork_in_child)

    def count(self, folder: str) -> int:
        """How many in-place writes this process has seen in ``folder``."""
        with self._lock:
            if self._open():
                if folder not in self._watches:
                    self._watch(folder)
                self._drain()
            return self._counts.get(folder, 0)

    def _open(self) -> bool:
        if self._inotify is None and self._available:
            self._inotify = _start()
            self._available = self._inotify is not None
        return self._inotify is not None

    def _watch(self, folder: str) -> None:
        mask = flags.MODIFY | flags.CLOSE_WRITE | flags.ONLYDIR
        try:
            wd: int = self._inotify.add_watch(folder, mask)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:  # the watch limit: retrying would not help
                if UNWATCHABLE not in self._watches.values():
                    log.warning("inotify watch limit reached: see fs.inotify.max_user_watches")
                self._watches[folder] = UNWATCHABLE
            return  # a missing folder is tried again on the next check
        self._watches[folder] = wd
        self._folders[wd] = folder
        if folder in self._inherited:
            self._inherited.discard(folder)
            if not self._parent_missed_nothing():
                self._bump(folder)
        else:
            self._bump(folder)

    def _parent_missed_nothing(self) -> bool:
        """Whether the parent's queue is empty: nothing happened in its folders since it
        last looked (checked after this process's own watch started, so no gap)."""
        try:
            pending = array.array("i", [0])
            fcntl.ioctl(self._parent.fileno(), termios.FIONREAD, pending)
        except (OSError, ValueError):
            return False
        return pending[0] == 0

    def _drain(self) -> None:
        while events := self._inotify.read(timeout=0):
            for event in events:
                self._handle(event.wd, event.mask, event.name)

    def _handle(self, wd: int, mask: int, name: str) -> None:
        folder = self._folders.get(wd)
        if mask & flags.Q_OVERFLOW:
            for known in self._watches:
                self._bump(known)
        elif folder is not None and mask & flags.IGNORED:  # folder gone: watch it anew
            del self._folders[wd]
            self._watches.pop(folder, None)
            self._bump(folder)
        elif folder is not None and self.relevant(name):
            self._bump(folder)

    def _bump(self, folder: str) -> None:
        self._counts[folder] = self._counts.get(folder, 0) + 1

    def _after_fork_in_child(self) -> None:
        """The inherited queue belongs to the parent: start afresh on first use, keeping
        the parent's to tell whether anything happened before this process's watch."""
        self._lock = threading.Lock()
        if self._parent is not None:
            self._parent.close()
        self._parent, self._inotify = self._inotify, None
        self._inherited = {f for f, wd in self._watches.items() if wd != UNWATCHABLE}
        self._watches, self._folders = {}, {}
