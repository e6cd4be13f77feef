"""The part of Go's ``archive/tar`` reader that Helm's chart loader relies on.

Headers (V7, USTAR, PAX, GNU and star), PAX records and GNU long names are understood;
errors carry Go's texts ("archive/tar: invalid tar header", "unexpected EOF", ...).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from app.charts.errors import ChartInvalid
from app.charts.gzipstream import GzipStream

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
_MAX_SPECIAL_FILE = 1 << 20
_HEADER_ONLY_TYPES = frozenset(b"123456")
_HIGH_BYTES = bytes(range(128, 256))
_OCTAL = re.compile(rb"[0-7]+")
_OCTAL_FIELD = re.compile(rb"[ \x00]*([0-7]*)[ \x00]*")
_OCTAL_GAP = re.compile(rb"[0-7][ \x00]+[0-7]")
_PLAIN_OCTAL_BYTES = b"01234567 \x00|"
_HEADER_FIELDS = struct.Struct("100s8s8s8s12s12s8sB100s6s2s32s32s8s8s155s")
_USTAR = ("ustar", "star")
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_INT64 = 1 << 63


def _invalid_header() -> ChartInvalid:
    return ChartInvalid("archive/tar: invalid tar header")


@dataclass
class TarHeader:
    """One tar entry as Go's ``tar.Reader.Next`` reports it."""

    name: str
    typeflag: int
    size: int
    mode: int

    @property
    def is_dir(self) -> bool:
        """``hd.FileInfo().IsDir()``: a directory by type flag or by mode bits."""
        return self.typeflag == ord("5") or (self.mode & 0xFFFFFFFF) & ~0o7777 == 0o40000


def _c_string(field: bytes) -> bytes:
    nul = field.find(b"\x00")
    return field if nul < 0 else field[:nul]


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class _FieldParser:
    """Go's ``parser``: numeric fields, remembering whether any of them was malformed."""

    def __init__(self) -> None:
        self.failed = False

    def octal(self, field: bytes) -> int:
        """``parseOctal``: an octal field padded with spaces or NULs."""
        match = _OCTAL_FIELD.fullmatch(field)
        if match is not None:
            digits = match.group(1)
            return int(digits, 8) if digits else 0
        return self._octal_slow(field)

    def _octal_slow(self, field: bytes) -> int:
        digits = _c_string(field.strip(b" \x00"))
        if not digits:
            return 0
        if not _OCTAL.fullmatch(digits) or int(digits, 8) >= 1 << 64:
            self.failed = True
            return 0
        value = int(digits, 8)
        return value - (1 << 64) if value >= _INT64 else value

    def numeric(self, field: bytes) -> int:
        """``parseNumeric``: octal, or base-256 when the high bit of the first byte is set."""
        if not field or not field[0] & 0x80:
            return self.octal(field)
        invert = 0xFF if field[0] & 0x40 else 0
        raw = bytes(b ^ invert for b in field)
        value = int.from_bytes(bytes([raw[0] & 0x7F]) + raw[1:], "big")
        if value >> 63:
            self.failed = True
            return 0
        return ~value if invert else value


def _byte_sum(data: bytes) -> int:
    """``sum(data)`` for at most 256 bytes: Adler-32's first half cannot wrap that soon."""
    return zlib.adler32(data, 0) & 0xFFFF


def _checksum_ok(block: bytes) -> bool:
    match = _OCTAL_FIELD.fullmatch(block, 148, 156)
    if match is not None:
        digits = match.group(1)
        stored = int(digits, 8) if digits else 0
    else:
        parser = _FieldParser()
        stored = parser.octal(block[148:156])
        if parser.failed:
            return False
    unsigned = _byte_sum(block[:148]) + _byte_sum(block[156:356]) + _byte_sum(block[356:]) + 256
    if stored == unsigned:
        return True
    rest = block[:148] + block[156:]
    high = len(rest) - len(rest.translate(None, _HIGH_BYTES))
    return stored == unsigned - 256 * high


def _header_format(magic: bytes, version: bytes, block: bytes) -> str:
    """Go's ``getFormat`` guess, once the checksum is known to be right."""
    if magic == b"ustar\x00":
        return "star" if block[508:512] == b"tar\x00" else "ustar"
    if magic == b"ustar " and version == b" \x00":
        return "gnu"
    return "v7"


def _mode_and_size(fields: list[bytes]) -> tuple[int, int]:
    """Parse the numeric fields (mode and size first); any malformed one is an error."""
    joined = b"|".join(fields)
    if not joined.translate(None, _PLAIN_OCTAL_BYTES) and _OCTAL_GAP.search(joined) is None:
        mode, size = (int(f.strip(b" \x00") or b"0", 8) for f in fields[:2])
        return mode, size
    parser = _FieldParser()
    mode, size = (parser.numeric(f) for f in fields[:2])
    for field in fields[2:]:
        parser.numeric(field)
    if parser.failed:
        raise _invalid_header()
    return mode, size


def parse_header_block(block: bytes) -> TarHeader:
    """Decode one 512-byte header block (Go: ``readHeader`` after the zero-block checks)."""
    if not _checksum_ok(block):
        raise _invalid_header()
    fields = _HEADER_FIELDS.unpack_from(block)
    kind = _header_format(fields[9], fields[10], block)
    numbers = [fields[1], fields[4], fields[2], fields[3], fields[5]]
    if kind != "v7":
        numbers += fields[13:15]
    mode_value, size_value = _mode_and_size(numbers)
    name = _c_string(fields[0])
    if kind in _USTAR:
        prefix = _c_string(fields[15][: 131 if kind == "star" else 155])
        if prefix:
            name = prefix + b"/" + name
    return TarHeader(name.decode("utf-8", "surrogateescape"), fields[7], size_value, mode_value)


def _pax_record(data: bytes) -> tuple[str, str, bytes]:
    """Split one ``"%d %s=%s\\n"`` record off ``data`` (Go: ``parsePAXRecord``)."""
    length_text, space, rest = data.partition(b" ")
    if not space or not length_text.isdigit():
        raise _invalid_header()
    length = int(length_text)
    if length < 5 or length > len(data):
        raise _invalid_header()
    body_len = length - len(length_text) - 1
    if body_len <= 0 or rest[body_len - 1 : body_len] != b"\n":
        raise _invalid_header()
    key, equals, value = rest[: body_len - 1].partition(b"=")
    if not equals or not key or b"\x00" in key:
        raise _invalid_header()
    if key in (b"path", b"linkpath", b"uname", b"gname") and b"\x00" in value:
        raise _invalid_header()
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
            raise _invalid_header()
    elif key in ("atime", "ctime", "mtime"):
        seconds, _, fraction = value.partition(".")
        if not _DECIMAL.fullmatch(seconds) or fraction.strip("0123456789"):
            raise _invalid_header()


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
        return len(self._stream.read_up_to(pad)) == pad

    def _read_block(self) -> bytes | None:
        block = self._stream.read_up_to(BLOCK)
        if not block:
            return None
        if len(block) < BLOCK:
            raise ChartInvalid("unexpected EOF")
        return block

    def _next_header_block(self) -> bytes | None:
        block = self._read_block()
        if block != _ZERO_BLOCK:
            return block
        if self._read_block() in (None, _ZERO_BLOCK):
            return None
        raise _invalid_header()

    def _start_data(self, header: TarHeader) -> int:
        size = 0 if header.typeflag in _HEADER_ONLY_TYPES else header.size
        if size < 0:
            raise _invalid_header()
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
            if not self._finish_entry():
                return None
            block = self._next_header_block()
            if block is None:
                return None
            header = parse_header_block(block)
            self._start_data(header)
            flag = header.typeflag
            if flag in (ord("x"), ord("g")):
                records = parse_pax(self._read_special(header))
                if flag == ord("g"):
                    records, long_name = {}, ""
                pax = records
            elif flag in (ord("L"), ord("K")):
                value = _text(_c_string(self._read_special(header)))
                long_name = value if flag == ord("L") else long_name
            else:
                return self._complete(header, pax, long_name)

    def _complete(self, header: TarHeader, pax: dict[str, str], long_name: str) -> TarHeader:
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
