"""A lazy gzip decoder with the behaviour and error texts of Go's ``compress/gzip``.

Inflating is zlib-ng's (the same streams as zlib, about four times faster at it). Like
Go's reader it is multistream, decompresses only what is asked for, and reports a
problem found at a member boundary only when more data is actually requested.
"""

from __future__ import annotations

import struct

from zlib_ng import zlib_ng

from app.charts.errors import ChartInvalid

_CHUNK = 64 * 1024
_FLAG_HCRC = 0x02
_FLAG_EXTRA = 0x04
_FLAG_NAME = 0x08
_FLAG_COMMENT = 0x10
_MAX_HEADER_STRING = 512
_TRAILER = struct.Struct("<II")


def _header_string_end(data: bytes, pos: int) -> int:
    """Position just after the NUL ending a header string (Go: ``readString``)."""
    nul = data.find(b"\x00", pos, pos + _MAX_HEADER_STRING)
    if nul >= 0:
        return nul + 1
    if len(data) - pos >= _MAX_HEADER_STRING:
        raise ChartInvalid("gzip: invalid header")
    raise ChartInvalid("unexpected EOF")


def _need(data: bytes, pos: int, size: int) -> None:
    if len(data) - pos < size:
        raise ChartInvalid("unexpected EOF")


def read_member_header(data: bytes, pos: int) -> int:
    """Validate the gzip member header at ``pos`` and return where its deflate data starts."""
    if pos >= len(data):
        raise ChartInvalid("EOF")
    _need(data, pos, 10)
    if data[pos] != 0x1F or data[pos + 1] != 0x8B or data[pos + 2] != 8:
        raise ChartInvalid("gzip: invalid header")
    flags = data[pos + 3]
    cur = pos + 10
    if flags & _FLAG_EXTRA:
        _need(data, cur, 2)
        cur += 2 + int.from_bytes(data[cur : cur + 2], "little")
        _need(data, cur, 0)
    if flags & _FLAG_NAME:
        cur = _header_string_end(data, cur)
    if flags & _FLAG_COMMENT:
        cur = _header_string_end(data, cur)
    if flags & _FLAG_HCRC:
        _need(data, cur, 2)
        expected = int.from_bytes(data[cur : cur + 2], "little")
        if expected != zlib_ng.crc32(data[pos:cur]) & 0xFFFF:
            raise ChartInvalid("gzip: invalid header")
        cur += 2
    return cur


class GzipStream:
    """Decompressed bytes of a gzip blob, produced on demand.

    Output is kept in one ``bytes`` buffer read from an offset, so taking a block is a
    single slice; the deflate calls (input chunks and output limit) are those of a plain
    chunked reader, which keeps error offsets and lazy error reporting stable.
    """

    def __init__(self, data: bytes) -> None:
        self._src = data
        self._pos = read_member_header(data, 0)
        self._out = b""
        self._off = 0
        self._error: ChartInvalid | None = None
        self._ended = False
        self._start_member()

    def _start_member(self) -> None:
        self._member_start = self._pos
        self._inflater = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
        self._crc = 0
        self._size = 0

    def _fail(self, error: ChartInvalid) -> bytes | None:
        self._error = error
        return None

    def _inflate_more(self) -> bytes | None:
        inflater = self._inflater
        chunk = inflater.unconsumed_tail
        if not chunk:
            if self._pos >= len(self._src):
                return self._fail(ChartInvalid("unexpected EOF"))
            chunk = self._src[self._pos : self._pos + _CHUNK]
            self._pos += len(chunk)
        try:
            out = inflater.decompress(chunk, _CHUNK)
        except zlib_ng.error:  # type: ignore[misc]  # its stub declares an instance, not the class
            offset = self._pos - self._member_start
            return self._fail(ChartInvalid(f"flate: corrupt input before offset {offset}"))
        if out:
            self._crc = zlib_ng.crc32(out, self._crc)
            self._size += len(out)
        return out

    def _finish_member(self) -> bytes | None:
        inflater = self._inflater
        start = self._pos - len(inflater.unconsumed_tail) - len(inflater.unused_data)
        if len(self._src) - start < 8:
            return self._fail(ChartInvalid("unexpected EOF"))
        crc, size = _TRAILER.unpack_from(self._src, start)
        if crc != self._crc or size != self._size & 0xFFFFFFFF:
            return self._fail(ChartInvalid("gzip: invalid checksum"))
        self._pos = start + 8
        if self._pos >= len(self._src):
            self._ended = True
            return None
        try:
            self._pos = read_member_header(self._src, self._pos)
        except ChartInvalid as exc:
            return self._fail(exc)
        self._start_member()
        return b""

    def _produce(self) -> bytes | None:
        """Decompress a little more (maybe nothing yet); None once nothing more can come."""
        if self._ended or self._error is not None:
            return None
        if self._inflater.eof:
            return self._finish_member()
        return self._inflate_more()

    def _gather(self, size: int) -> int:
        """Make ``size`` bytes available from the read offset if possible; how many are."""
        pieces = [self._out[self._off :]]
        have = len(pieces[0])
        while have < size:
            out = self._produce()
            if out is None:
                break
            pieces.append(out)
            have += len(out)
        self._out = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self._off = 0
        return have

    def _buffer(self, size: int) -> int:
        """:meth:`_gather`, raising the decoding error when the bytes cannot all be had."""
        have = self._gather(size)
        if have < size and self._error is not None:
            raise self._error
        return have

    def read_up_to(self, size: int) -> bytes:
        """Up to ``size`` bytes; fewer only at the clean end of the stream.

        A decoding error is raised only when the requested bytes cannot all be produced.
        """
        start = self._off
        end = start + size
        out = self._out
        if end <= len(out):
            self._off = end
            return out[start:end]
        self._buffer(size)
        out = self._out
        self._off = min(size, len(out))
        return out[:size]

    def buffered(self) -> tuple[bytes, int]:
        """The bytes decompressed so far and the read position in them."""
        return self._out, self._off

    def ensure(self, position: int, size: int) -> tuple[bytes, int] | None:
        """Read on from ``position`` in :meth:`buffered`'s bytes, with ``size`` bytes at hand.

        Decompresses what is missing if it can; an error is not raised here but kept for
        the read that needs the missing bytes.  Returns the new :meth:`buffered`, or None
        when the bytes cannot all be had.
        """
        self._off = position
        if position + size <= len(self._out):
            return self._out, position
        if self._gather(size) < size:
            return None
        return self._out, 0

    def seek_buffered(self, position: int) -> None:
        """Continue reading at ``position`` in :meth:`buffered`'s bytes."""
        self._off = position

    def skip_buffered(self, size: int) -> bool:
        """Pass over ``size`` bytes if they are at hand (and say whether they were)."""
        end = self._off + size
        if end > len(self._out):
            return False
        self._off = end
        return True

    def skip_up_to(self, size: int) -> int:
        """Like :meth:`read_up_to`, but only say how many bytes were passed over."""
        end = self._off + size
        if end <= len(self._out):
            self._off = end
            return size
        size = min(size, self._buffer(size))
        self._off = size
        return size

    def read_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes, or ``unexpected EOF`` (or the decoding error)."""
        data = self.read_up_to(size)
        if len(data) < size:
            raise ChartInvalid("unexpected EOF")
        return data

    def skip(self, size: int) -> None:
        """Decompress and drop ``size`` bytes (``unexpected EOF`` if they are missing)."""
        while size > 0:
            step = min(size, _CHUNK)
            if self._off + step > len(self._out) and self._buffer(step) < step:
                raise ChartInvalid("unexpected EOF")
            self._off += step
            size -= step
