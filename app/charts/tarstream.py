"""The part of Go's ``archive/tar`` reader that Helm's chart loader relies on.

Headers (V7, USTAR, PAX, GNU and star), PAX records and GNU long names are understood;
errors carry Go's texts ("archive/tar: invalid tar header", "unexpected EOF", ...).
"""

from __future__ import annotations

import re

from app.charts.errors import ChartInvalid
from app.charts.gzipstream import GzipStream
from app.charts.tarheader import BLOCK
from app.charts.tarheader import HEADER_ONLY_TYPES
from app.charts.tarheader import TarHeader
from app.charts.tarheader import c_string
from app.charts.tarheader import invalid_header
from app.charts.tarheader import parse_header_block

__all__ = ["BLOCK", "EXTENSION_TYPES", "ZERO_BLOCK", "TarHeader", "TarReader"]

ZERO_BLOCK = bytes(BLOCK)
EXTENSION_TYPES = frozenset(b"xgLK")
_MAX_SPECIAL_FILE = 1 << 20
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_INT64 = 1 << 63


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _pax_record(data: bytes) -> tuple[str, str, bytes]:
    """Split one ``"%d %s=%s\\n"`` record off ``data`` (Go: ``parsePAXRecord``)."""
    length_text, space, rest = data.partition(b" ")
    if not space or not length_text.isdigit():
        raise invalid_header()
    length = int(length_text)
    if length < 5 or length > len(data):
        raise invalid_header()
    body_len = length - len(length_text) - 1
    if body_len <= 0 or rest[body_len - 1 : body_len] != b"\n":
        raise invalid_header()
    key, equals, value = rest[: body_len - 1].partition(b"=")
    if not equals or not key or b"\x00" in key:
        raise invalid_header()
    if key in (b"path", b"linkpath", b"uname", b"gname") and b"\x00" in value:
        raise invalid_header()
    return _text(key), _text(value), rest[body_len:]


def parse_pax(data: bytes) -> dict[str, str]:
    """All records of a PAX extended header."""
    records: dict[str, str] = {}
    while data:
        key, value, data = _pax_record(data)
        records[key] = value
    return records


def _check_pax_number(key: str, value: str) -> None:
    if key in ("uid", "gid", "size"):
        if not _DECIMAL.fullmatch(value) or not -_INT64 <= int(value) < _INT64:
            raise invalid_header()
    elif key in ("atime", "ctime", "mtime"):
        seconds, _, fraction = value.partition(".")
        if not _DECIMAL.fullmatch(seconds) or fraction.strip("0123456789"):
            raise invalid_header()


def merge_pax(header: TarHeader, records: dict[str, str]) -> None:
    """Apply PAX records to the following header (Go: ``mergePAX``)."""
    for key, value in records.items():
        if value == "":
            continue
        _check_pax_number(key, value)
        if key == "path":
            header.name = value
        elif key == "size":
            header.size = int(value)


class TarReader:
    """Iterates over the entries of a tar stream held in a :class:`GzipStream`."""

    def __init__(self, stream: GzipStream) -> None:
        self._stream = stream
        self._unread = 0
        self._pad = 0

    def _finish_entry(self) -> bool:
        """Drop what is left of the current entry; False if the stream ended in its padding."""
        if self._unread:
            self._stream.skip(self._unread)
            self._unread = 0
        pad = self._pad
        if not pad:
            return True
        self._pad = 0
        return self._stream.skip_up_to(pad) == pad

    def finish_buffered(self) -> bool:
        """Finish the current entry if what is left of it is at hand.

        :returns: whether the stream is now at the next header.
        """
        if self._unread:
            return False
        if self._pad:
            if not self._stream.skip_buffered(self._pad):
                return False
            self._pad = 0
        return True

    def _read_block(self) -> bytes | None:
        block = self._stream.read_up_to(BLOCK)
        if not block:
            return None
        if len(block) < BLOCK:
            raise ChartInvalid("unexpected EOF")
        return block

    def _next_header_block(self) -> bytes | None:
        block = self._stream.read_up_to(BLOCK)
        if len(block) == BLOCK and block != ZERO_BLOCK:
            return block
        if not block:
            return None
        if len(block) < BLOCK:
            raise ChartInvalid("unexpected EOF")
        if self._read_block() in (None, ZERO_BLOCK):
            return None
        raise invalid_header()

    def _start_data(self, header: TarHeader) -> int:
        size = 0 if header.typeflag in HEADER_ONLY_TYPES else header.size
        if size < 0:
            raise invalid_header()
        self._unread = size
        self._pad = -size % BLOCK
        return size

    def _read_special(self, header: TarHeader) -> bytes:
        size = self._start_data(header)
        data = self._stream.read_exact(min(size, _MAX_SPECIAL_FILE + 1))
        self._unread -= len(data)
        if size > _MAX_SPECIAL_FILE:
            raise ChartInvalid("archive/tar: header field too long")
        return data

    def next(self) -> TarHeader | None:
        """The next file entry, or None at the end of the archive (Go: ``Next``)."""
        pax: dict[str, str] = {}
        long_name = ""
        while True:
            if (self._unread or self._pad) and not self._finish_entry():
                return None
            block = self._next_header_block()
            if block is None:
                return None
            header = parse_header_block(block)
            flag = header.typeflag
            if flag not in EXTENSION_TYPES:
                if header.size < 0 and flag not in HEADER_ONLY_TYPES:
                    raise invalid_header()
                return self._complete(header, pax, long_name)
            self._start_data(header)
            if flag in (ord("x"), ord("g")):
                records = parse_pax(self._read_special(header))
                if flag == ord("g"):
                    records, long_name = {}, ""
                pax = records
            else:
                value = _text(c_string(self._read_special(header)))
                long_name = value if flag == ord("L") else long_name

    def _complete(self, header: TarHeader, pax: dict[str, str], long_name: str) -> TarHeader:
        if pax:
            merge_pax(header, pax)
        if long_name:
            header.name = long_name
        if header.typeflag == 0:
            header.typeflag = ord("5") if header.name.endswith("/") else ord("0")
        self._start_data(header)
        return header

    def read_data(self) -> bytes:
        """The current entry's data (empty for link, device, directory and FIFO entries)."""
        data = self._stream.read_exact(self._unread)
        self._unread = 0
        return data

    def skip_data(self) -> int:
        """Decompress and drop the current entry's data; return how many bytes it had."""
        size, self._unread = self._unread, 0
        self._stream.skip(size)
        return size
