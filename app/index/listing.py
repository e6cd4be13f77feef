"""A repository's listing, and taking it ahead of time in a forked process.

Every start lists the root repository (to build its index, or to compare a loaded snapshot
with storage). For local storage that is a ``stat`` of every package, tens of milliseconds
at 10,000 packages, on one core while the other waits. :class:`ListingAhead` takes the
listing in a child process forked before the command imports and loads the rest, so the
two overlap; the first scan of the repository then uses it.

A listing taken ahead is as good as one taken at the scan: its rewrite count is read, and
so the in-place rewrite watch started, before the child lists, and its change token is read
by the child before it lists. Whatever changes after that moves the token or the count, and
the next check of the repository scans again.

This module imports nothing heavy: it runs before the rest of the command is imported.
"""

from __future__ import annotations

import marshal
import os
import threading
from typing import NamedTuple

from backends.base import ObjectInfo
from backends.base import StorageBackend


class Listing(NamedTuple):
    """What a scan compares the index with: rewrite count and change token (read first),
    then the objects."""

    rewrites: int
    token: str | None
    objects: list[ObjectInfo]


def list_now(backend: StorageBackend, repo: str) -> Listing:
    """``repo``'s listing, taken here and now."""
    rewrites = backend.rewrites(repo)
    token = backend.change_token(repo)
    return Listing(rewrites, token, backend.list_objects(repo))


class ListingAhead:
    """A listing of one repository being taken by a forked child; :meth:`take` it once, or
    :meth:`discard` it."""

    def __init__(self, repo: str, rewrites: int, pid: int, fd: int) -> None:
        self.repo = repo
        self._rewrites = rewrites
        self._pid = pid
        self._fd = fd

    @classmethod
    def start(cls, backend: StorageBackend, repo: str) -> ListingAhead | None:
        """Fork a child that lists ``repo``; None where that is not possible or not safe
        (a backend that cannot be used from a forked process, a process with threads)."""
        if not backend.reads_in_subprocess or not _single_threaded():
            return None
        rewrites = backend.rewrites(repo)
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: list, send, and leave without running the parent's exit code
            status = 1
            try:
                os.close(read_end)
                status = _send(write_end, backend, repo)
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(repo, rewrites, pid, read_end)

    def take(self) -> Listing | None:
        """The child's listing (waiting for it), or None if it failed."""
        if self._fd < 0:
            return None
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            status = self._close()
        if status != 0:
            return None
        try:
            token, rows = marshal.loads(b"".join(chunks))
            objects = [ObjectInfo(path, mtime_ns, size) for path, mtime_ns, size in rows]
        except (EOFError, ValueError, TypeError):
            return None
        return Listing(self._rewrites, token, objects)

    def discard(self) -> None:
        """Stop waiting for the listing (if not taken): the child, if still sending, ends."""
        self._close()

    def _close(self) -> int:
        """Close the pipe and reap the child; its wait status (-1 if already closed)."""
        if self._fd < 0:
            return -1
        os.close(self._fd)
        self._fd = -1
        return os.waitpid(self._pid, 0)[1]


def _single_threaded() -> bool:
    """Whether a fork is safe here: with other threads, a lock one of them holds (logging's,
    say) would stay held in the child."""
    return threading.active_count() == 1


def _send(fd: int, backend: StorageBackend, repo: str) -> int:
    token = backend.change_token(repo)
    rows = [(o.path, o.last_modified_ns, o.size) for o in backend.list_objects(repo)]
    data = memoryview(marshal.dumps((token, rows)))
    while data:
        data = data[os.write(fd, data) :]
    return 0
