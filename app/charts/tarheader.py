"""Tar header blocks as Go's ``archive/tar`` reads them (V7, USTAR, GNU and star formats)."""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from app.charts.errors import ChartInvalid

BLOCK = 512
HEADER_ONLY_TYPES = frozenset(b"123456")
_HIGH_BYTES = bytes(range(128, 256))
_OCTAL = re.compile(rb"[0-7]+")
_OCTAL_FIELD = re.compile(rb"[ \x00]*([0-7]*)[ \x00]*")
_OCTAL_GAP = re.compile(rb"[0-7][ \x00]+[0-7]")
_PLAIN_OCTAL_BYTES = b"01234567 \x00|"
# The shape of numeric fields joined by "|": octal digits become "0", spaces and NULs
# " ", other bytes "x".  Plain fields are an octal number padded with spaces or NULs.
_SHAPE_TABLE = bytes(
    48 if 48 <= b <= 55 else 32 if b in (0, 32) else 124 if b == 124 else 120 for b in range(256)
)
_PLAIN_SHAPE = {count: re.compile(rb"(?: *0* *\|){%d} *0* *" % (count - 1)) for count in (6, 8)}
_PLAIN_SHAPES: dict[bytes, bool] = {}  # the few shapes tar writers produce, once checked
_MAX_SHAPES = 256
_HEADER_FIELDS = struct.Struct("100s8s8s8s12s12s8sB100x6s2s64x8s8s155s")
_INT64 = 1 << 63


def invalid_header() -> ChartInvalid:
    return ChartInvalid("archive/tar: invalid tar header")


@dataclass(slots=True)
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


def c_string(field: bytes) -> bytes:
    nul = field.find(b"\x00")
    return field if nul < 0 else field[:nul]


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
        digits = c_string(field.strip(b" \x00"))
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


def _mode_and_size(fields: list[bytes]) -> tuple[int, int]:
    """Parse the numeric fields (mode and size first); any malformed one is an error."""
    joined = b"|".join(fields)
    plain = joined.count(b"|") == len(fields) - 1  # a "|" inside a field is not octal
    if plain and not joined.translate(None, _PLAIN_OCTAL_BYTES) and not _OCTAL_GAP.search(joined):
        mode, size = (int(f.strip(b" \x00") or b"0", 8) for f in fields[:2])
        return mode, size
    parser = _FieldParser()
    mode_value, size_value = (parser.numeric(f) for f in fields[:2])
    for field in fields[2:]:
        parser.numeric(field)
    if parser.failed:
        raise invalid_header()
    return mode_value, size_value


def _unsigned_sum(block: bytes) -> int:
    """The byte sum of a header, its checksum field counted as spaces.

    Adler-32's first half is the plain sum of up to 256 bytes (it cannot wrap that soon).
    """
    adler = zlib.adler32
    return (
        (adler(block[:148], 0) & 0xFFFF)
        + (adler(block[156:356], 0) & 0xFFFF)
        + (adler(block[356:], 0) & 0xFFFF)
        + 256
    )


def _signed_sum_matches(block: bytes, stored: int, unsigned: int) -> bool:
    rest = block[:148] + block[156:]
    high = len(rest) - len(rest.translate(None, _HIGH_BYTES))
    return stored == unsigned - 256 * high


def _checksum_ok(block: bytes) -> bool:
    parser = _FieldParser()
    stored = parser.octal(block[148:156])
    if parser.failed:
        return False
    unsigned = _unsigned_sum(block)
    return stored == unsigned or _signed_sum_matches(block, stored, unsigned)


def _all_plain(numbers: list[bytes]) -> bool:
    """Whether each field is a plain octal number (and none holds a "|")."""
    shape = b"|".join(numbers).translate(_SHAPE_TABLE)
    plain = _PLAIN_SHAPES.get(shape)
    if plain is None:
        plain = _PLAIN_SHAPE[len(numbers)].fullmatch(shape) is not None
        if len(_PLAIN_SHAPES) < _MAX_SHAPES:
            _PLAIN_SHAPES[shape] = plain
    return plain


def _octal(field: bytes) -> int:
    return int(field.strip(b" \x00") or b"0", 8)


def parse_header_block(block: bytes) -> TarHeader:
    """Decode one 512-byte header block (Go: ``readHeader`` after the zero-block checks)."""
    (name, mode, uid, gid, size, mtime, checksum, flag, magic, version, *rest) = (
        _HEADER_FIELDS.unpack_from(block)
    )
    numbers = [mode, size, checksum, uid, gid, mtime]  # mode and size first
    prefix = b""
    if magic == b"ustar\x00":  # USTAR, or star with a shorter prefix
        prefix = rest[2] if block[508:512] != b"tar\x00" else rest[2][:131]
        numbers += rest[:2]
    elif magic == b"ustar " and version == b" \x00":  # GNU
        numbers += rest[:2]
    if _all_plain(numbers):  # the common case
        stored = _octal(checksum)
        unsigned = _unsigned_sum(block)
        if stored != unsigned and not _signed_sum_matches(block, stored, unsigned):
            raise invalid_header()
        mode_value, size_value = _octal(mode), _octal(size)
    else:
        if not _checksum_ok(block):
            raise invalid_header()
        del numbers[2]
        mode_value, size_value = _mode_and_size(numbers)
    if b"\x00" in name:
        name = name[: name.find(b"\x00")]
    if prefix and prefix[0]:
        name = c_string(prefix) + b"/" + name
    return TarHeader(name.decode("utf-8", "surrogateescape"), flag, size_value, mode_value)
