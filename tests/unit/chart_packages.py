"""Chart packages built for the loader tests: tar streams, gzip, whole charts."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Iterable

import pytest

from app.charts.loader import ChartInvalid
from app.charts.loader import load_chart

MIB = 1024 * 1024
CHART_YAML = b"apiVersion: v2\nname: mychart\nversion: 0.1.0\n"

Entry = tuple[str, bytes] | tuple[tarfile.TarInfo, bytes]


def tar_bytes(entries: Iterable[Entry], fmt: int = tarfile.PAX_FORMAT, end: bool = True) -> bytes:
    """A tar stream written block by block (no record padding, like Go's tar.Writer)."""
    out = io.BytesIO()
    for spec, data in entries:
        info = spec if isinstance(spec, tarfile.TarInfo) else tarfile.TarInfo(spec)
        if not isinstance(spec, tarfile.TarInfo):
            info.size = len(data)
        out.write(info.tobuf(fmt, "utf-8", "surrogateescape"))
        out.write(data + bytes(-len(data) % 512))
    if end:
        out.write(bytes(1024))
    return out.getvalue()


def tgz(entries: Iterable[Entry], **kw: object) -> bytes:
    return gzip.compress(tar_bytes(entries, **kw))  # type: ignore[arg-type]


def chart(*extra: Entry, chart_yaml: bytes = CHART_YAML, top: str = "mychart") -> bytes:
    return tgz([(f"{top}/Chart.yaml", chart_yaml), *extra])


def error_of(data: bytes, **kw: bool) -> str:
    with pytest.raises(ChartInvalid) as info:
        load_chart(data, **kw)
    return str(info.value)


def metadata_of(chart_yaml: bytes, *extra: Entry) -> dict[str, object]:
    return load_chart(chart(*extra, chart_yaml=chart_yaml)).metadata


def zero_files_tgz(sizes: Iterable[int]) -> bytes:
    """A package of zero-filled files, compressed as it is generated (little memory)."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [comp.compress(tar_bytes([("big/Chart.yaml", CHART_YAML)], end=False))]
    chunk = bytes(MIB)
    for index, size in enumerate(sizes):
        info = tarfile.TarInfo(f"big/files/f{index}.bin")
        info.size = size
        parts.append(comp.compress(info.tobuf(tarfile.PAX_FORMAT)))
        for offset in range(0, size, MIB):
            parts.append(comp.compress(chunk[: min(MIB, size - offset)]))
        parts.append(comp.compress(bytes(-size % 512)))
    parts.append(comp.compress(bytes(1024)))
    parts.append(comp.flush())
    return b"".join(parts)
