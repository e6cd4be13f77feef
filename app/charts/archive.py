"""Helm's ``LoadArchiveFiles``: path checks, size limits and BOM stripping for a package."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable

from app.charts.errors import ChartInvalid
from app.charts.gzipstream import GzipStream
from app.charts.tarheader import BLOCK
from app.charts.tarheader import HEADER_ONLY_TYPES
from app.charts.tarheader import TarHeader
from app.charts.tarheader import invalid_header
from app.charts.tarheader import parse_header_block
from app.charts.tarstream import EXTENSION_TYPES
from app.charts.tarstream import ZERO_BLOCK
from app.charts.tarstream import TarReader
from app.gocompat.text import go_quote

MAX_CHART_SIZE = 100 * 1024 * 1024
MAX_FILE_SIZE = 5 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
_DRIVE_PATH = re.compile(r"[a-zA-Z]:/")
_MAX_AHEAD = 1 << 20  # larger entries are streamed by the general loop

ArchiveFile = tuple[str, bytes]


def _chart_too_large() -> ChartInvalid:
    return ChartInvalid(f"decompressed chart is larger than the maximum file size {MAX_CHART_SIZE}")


def _is_clean(parts: list[str], delimiter: str) -> bool:
    """Whether ``posixpath.normpath`` would leave the joined path below the top unchanged."""
    return (
        len(parts) > 1
        and delimiter == "/"
        and "" not in parts
        and "." not in parts
        and ".." not in parts
    )


@functools.lru_cache(maxsize=4096)
def chart_path(raw_name: str) -> str:
    """The path of an entry inside the chart, with Helm's security checks.

    Cached: the same names come back in every version of a chart.
    """
    delimiter = "\\" if "\\" in raw_name else "/"
    parts = raw_name.split(delimiter)
    name = "/".join(parts[1:])
    if name.startswith("/"):
        raise ChartInvalid("chart illegally contains absolute paths")
    if not _is_clean(parts, delimiter):
        name = posixpath.normpath(name) if name else "."
    if name == ".":
        raise ChartInvalid(
            "chart illegally contains content outside the base directory: " + go_quote(raw_name)
        )
    if name.startswith(".."):
        raise ChartInvalid("chart illegally references parent directory")
    if _DRIVE_PATH.match(name):
        raise ChartInvalid("chart contains illegally named files")
    if parts[0] == "Chart.yaml":
        raise ChartInvalid("chart yaml not in base directory")
    return name


def _check_sizes(header: TarHeader, remaining: int) -> None:
    if header.size > remaining:
        raise _chart_too_large()
    if header.size > MAX_FILE_SIZE:
        raise ChartInvalid(
            f"decompressed chart file {go_quote(header.name)} is larger than "
            f"the maximum file size {MAX_FILE_SIZE}"
        )


def _skip_directory(tar: TarReader, header: TarHeader, remaining: int) -> int:
    """Skip a directory entry; data hidden behind one still counts towards the limit."""
    if header.size > remaining:
        raise _chart_too_large()
    return remaining - tar.skip_data()


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(UTF8_BOM) else data


def _read_entry(
    tar: TarReader, header: TarHeader, remaining: int, keep: Callable[[str], bool] | None
) -> tuple[ArchiveFile | None, int]:
    """Check and read one file entry; returns it (None when not kept) and the new budget."""
    name = chart_path(header.name)
    if header.size > MAX_FILE_SIZE or header.size > remaining:
        _check_sizes(header, remaining)
    entry: ArchiveFile | None = None
    if keep is None or keep(name):
        content = tar.read_data()
        entry = (name, _strip_bom(content))
        written = len(content)
    else:
        written = tar.skip_data()
    remaining -= written
    if written < header.size or remaining <= 0:
        raise _chart_too_large()
    return entry, remaining


def _read_buffered(
    stream: GzipStream,
    files: list[ArchiveFile],
    keep: Callable[[str], bool] | None,
    remaining: int,
    seen: int,
) -> tuple[int, int]:
    """Read plain entries straight from the decompressed bytes, from a header on.

    Gives exactly what the general loop over :class:`TarReader` gives for them (the same
    checks in the same order), without its per-read overhead.  It stops, leaving the
    stream at an entry's header, at the end-of-archive blocks, at extension headers (PAX,
    GNU long names), at an entry of more than ``_MAX_AHEAD`` bytes and where bytes are
    missing; the general loop carries on from there.

    :returns: the remaining size budget and the number of files seen.
    """
    buffer, pos = stream.buffered()
    while True:
        if pos + BLOCK > len(buffer):
            if (at_hand := stream.ensure(pos, BLOCK)) is None:
                return remaining, seen
            buffer, pos = at_hand
        block = buffer[pos : pos + BLOCK]
        if block == ZERO_BLOCK:
            break
        header = parse_header_block(block)
        flag = header.typeflag
        if flag in EXTENSION_TYPES:
            break
        if header.size < 0 and flag not in HEADER_ONLY_TYPES:
            raise invalid_header()
        if flag == 0:
            header.typeflag = ord("5") if header.name.endswith("/") else ord("0")
        is_dir = header.is_dir
        if is_dir:
            if header.size > remaining:
                raise _chart_too_large()
        else:
            name = chart_path(header.name)
            if header.size > MAX_FILE_SIZE or header.size > remaining:
                _check_sizes(header, remaining)
        size = 0 if header.typeflag in HEADER_ONLY_TYPES else header.size
        length = BLOCK + size + (-size % BLOCK)
        if pos + length > len(buffer):
            if length > _MAX_AHEAD or (at_hand := stream.ensure(pos, length)) is None:
                return remaining, seen
            buffer, pos = at_hand
        if not is_dir:
            if keep is None or keep(name):
                start = pos + BLOCK
                files.append((name, _strip_bom(buffer[start : start + size])))
            if size < header.size or remaining - size <= 0:
                raise _chart_too_large()
            seen += 1
        remaining -= size
        pos += length
    stream.seek_buffered(pos)
    return remaining, seen


def load_archive_files(data: bytes, keep: Callable[[str], bool] | None = None) -> list[ArchiveFile]:
    """The files of a chart archive, in archive order.

    :param data: the ``.tgz`` bytes.
    :param keep: when given, only files for which it returns True are returned (the
        others are still decompressed and counted, so limits and errors are unchanged).
    :raises ChartInvalid: with Helm's message when Helm would refuse the archive.
    """
    stream = GzipStream(data)
    tar = TarReader(stream)
    files: list[ArchiveFile] = []
    remaining, seen = MAX_CHART_SIZE, 0
    while True:
        if tar.finish_buffered():
            remaining, seen = _read_buffered(stream, files, keep, remaining, seen)
        if (header := tar.next()) is None:
            break
        if header.is_dir:
            remaining = _skip_directory(tar, header, remaining)
            continue
        entry, remaining = _read_entry(tar, header, remaining, keep)
        if entry is not None:
            files.append(entry)
        seen += 1
    if not seen:
        raise ChartInvalid("no files in chart archive")
    return files
