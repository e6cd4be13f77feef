"""Where a request's bytes wait until the whole request has arrived.

Memory first, up to a per-request threshold and a budget shared by the whole worker; past
either, an anonymous temporary file (unlinked when created, so a killed worker leaves nothing
behind). Everything here runs on the worker's main thread, except :meth:`Spool.pieces`, which
a request thread calls once the spool is complete and no longer written to.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import BinaryIO

PIECE = 64 * 1024
"""Size of the pieces handed to gunicorn's parser (the unreader copies what it puts back)."""


class MemoryBudget:
    """Bytes that all the spools of one worker may keep in memory together."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int) -> bool:
        """Reserve ``size`` bytes; False (and nothing reserved) when they are not left."""
        if size > self.left:
            return False
        self.left -= size
        return True

    def give(self, size: int) -> None:
        """Return bytes reserved with :meth:`take`."""
        self.left += size


class Spool:
    """One request's bytes, in memory up to ``threshold``, then in a temporary file."""

    def __init__(self, threshold: int, budget: MemoryBudget, folder: str | None = None) -> None:
        self._threshold = threshold
        self._budget = budget
        self._folder = folder
        self._memory = bytearray()
        self._file: BinaryIO | None = None
        self.size = 0

    @property
    def on_disk(self) -> bool:
        """Whether the bytes went to a temporary file."""
        return self._file is not None

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        if not data:
            return
        self.size += len(data)
        if self._file is None:
            fits = len(self._memory) + len(data) <= self._threshold
            if fits and self._budget.take(len(data)):
                self._memory += data
                return
            self._spill()
        assert self._file is not None
        self._file.write(data)

    def prefix(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer when fewer were written)."""
        if self._file is None:
            return bytes(self._memory[:size])
        self._file.seek(0)
        data = self._file.read(size)
        self._file.seek(0, 2)
        return data

    def cut(self, offset: int) -> bytes:
        """Remove and return everything after ``offset``."""
        if self._file is None:
            rest = bytes(self._memory[offset:])
            del self._memory[offset:]
            self._budget.give(len(rest))
        else:
            self._file.seek(offset)
            rest = self._file.read()
            self._file.truncate(offset)
            self._file.seek(0, 2)
        self.size = offset
        return rest

    def pieces(self) -> Iterator[bytes]:
        """Everything written, from the start, in pieces of at most :data:`PIECE` bytes."""
        if self._file is None:
            view = memoryview(self._memory)
            for start in range(0, len(view), PIECE):
                yield bytes(view[start : start + PIECE])
            return
        self._file.seek(0)
        while piece := self._file.read(PIECE):
            yield piece

    def close(self) -> None:
        """Free the memory and the temporary file."""
        self._budget.give(len(self._memory))
        self._memory = bytearray()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _spill(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="chartmuseum-body-", dir=self._folder)  # noqa: SIM115 - closed by close()
        self._file.write(self._memory)
        self._budget.give(len(self._memory))
        self._memory = bytearray()
