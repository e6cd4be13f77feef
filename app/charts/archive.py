"""Helm's ``LoadArchiveFiles``: path checks, size limits and BOM stripping for a package."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from app.charts.errors import ChartInvalid
from app.charts.gofmt import go_quote
from app.charts.gzipstream import GzipStream
from app.charts.tarstream import TarHeader
from app.charts.tarstream import TarReader

MAX_CHART_SIZE = 100 * 1024 * 1024
MAX_FILE_SIZE = 5 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
_DRIVE_PATH = re.compile(r"[a-zA-Z]:/")

ArchiveFile = tuple[str, bytes]


def _chart_too_large() -> ChartInvalid:
    return ChartInvalid(f"decompressed chart is larger than the maximum file size {MAX_CHART_SIZE}")


def chart_path(raw_name: str) -> str:
    """The path of an entry inside the chart, with Helm's security checks."""
    delimiter = "\\" if "\\" in raw_name else "/"
    parts = raw_name.split(delimiter)
    name = "/".join(parts[1:])
    if name.startswith("/"):
        raise ChartInvalid("chart illegally contains absolute paths")
    clean = (
        len(parts) > 1
        and delimiter == "/"
        and "" not in parts
        and "." not in parts
        and ".." not in parts
    )
    if not clean:
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


def load_archive_files(data: bytes, keep: Callable[[str], bool] | None = None) -> list[ArchiveFile]:
    """The files of a chart archive, in archive order.

    :param data: the ``.tgz`` bytes.
    :param keep: when given, only files for which it returns True are returned (the
        others are still decompressed and counted, so limits and errors are unchanged).
    :raises ChartInvalid: with Helm's message when Helm would refuse the archive.
    """
    tar = TarReader(GzipStream(data))
    files: list[ArchiveFile] = []
    remaining = MAX_CHART_SIZE
    seen = 0
    while (header := tar.next()) is not None:
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
