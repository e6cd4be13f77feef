"""Where a chunked request body ends, found while it arrives piece by piece.

Only the framing is followed here: chunk sizes, the CRLF after each chunk, the trailer
section. The body itself is decoded later by gunicorn's ``ChunkedReader`` over the buffered
bytes, which also names any fault precisely; the checks below mirror its own so that both
agree on where a well-formed body ends, and a malformed one is handed over at once.
"""

from __future__ import annotations

_HEX = frozenset(b"0123456789abcdefABCDEF")


class FramingError(Exception):
    """The chunked framing is malformed (gunicorn's reader reports the exact fault)."""


class ChunkedFraming:
    """Follow a chunked body; :meth:`feed` says where it ends."""

    def __init__(self, line_limit: int, trailer_limit: int) -> None:
        self._line_limit = line_limit
        self._trailer_limit = trailer_limit
        self._line = bytearray()
        self._left = 0  # chunk data still to come
        self._expect = "size"  # what the next line is: "size", "crlf" or "trailer"
        self._trailers = 0
        self.decoded = 0
        """Body bytes (chunk data) seen so far."""

    def feed(self, data: bytes) -> int | None:
        """Take the next bytes; return how many of them end the body, None if it goes on.

        :raises FramingError: when the framing is malformed.
        """
        pos = 0
        while pos < len(data):
            if self._left:
                take = min(self._left, len(data) - pos)
                self._left -= take
                self.decoded += take
                pos += take
                continue
            end = data.find(b"\n", pos)
            stop = len(data) if end < 0 else end + 1
            self._line += data[pos:stop]
            pos = stop
            if end < 0:
                self._check_partial()
            elif self._end_of_line():
                return pos
        return None

    def _check_partial(self) -> None:
        limit = self._line_limit if self._expect != "trailer" else self._trailer_limit
        if len(self._line) > limit + 2:
            raise FramingError("line too long")

    def _end_of_line(self) -> bool:
        line = bytes(self._line)
        self._line.clear()
        if not line.endswith(b"\r\n"):
            raise FramingError("line not terminated by CRLF")
        if self._expect == "crlf":
            if line != b"\r\n":
                raise FramingError("chunk data not followed by CRLF")
            self._expect = "size"
            return False
        if self._expect == "trailer":
            self._trailers += len(line)
            if self._trailers > self._trailer_limit:
                raise FramingError("trailer section too large")
            return line == b"\r\n"
        return self._size_line(line[:-2])

    def _size_line(self, line: bytes) -> bool:
        size, *extension = line.split(b";", 1)
        if extension:
            size = size.rstrip(b" \t")
        if not size or not set(size) <= _HEX:
            raise FramingError("invalid chunk size")
        self._left = int(size, 16)
        self._expect = "crlf" if self._left else "trailer"
        return False
