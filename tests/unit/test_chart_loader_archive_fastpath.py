"""Reading the entries at hand in one pass must agree exactly with the general tar loop.

Differential test: random packages (several tar formats, odd names and types, large
and random files) and mutations of them (corrupted bytes and header fields with fixed
checksums, truncation, multistream gzip, trailing bytes) are loaded with and without
the buffered fast pass; files, errors and error texts must be the same.
"""

from __future__ import annotations

import gzip
import io
import random
import tarfile
from typing import Any

import pytest

from app.charts import archive
from app.charts.archive import load_archive_files
from app.charts.gzipstream import GzipStream
from app.charts.loader import ChartInvalid

NAMES = ["Chart.yaml", "values.yaml", "templates/a.yaml", "charts/sub/Chart.yaml", "é.yaml", "d/"]
ODD_NAMES = ["./Chart.yaml", "a//b", "../x", "/abs", "dir/", "C:/x", "x" * 120 + "/y", "x.tgz"]
CONTENTS = [
    b"apiVersion: v2\nname: c\nversion: 1.0.0\n",
    b"",
    b"\xef\xbb\xbfname: c\n",
    b"x" * 700,
]
FIELDS = [(100, 8), (108, 8), (124, 12), (136, 12), (156, 1), (329, 8), (345, 155), (257, 8)]
VALUES = [b"", b" ", b"\x00", b"7", b"8", b"0 1", b"\x80" + bytes(6) + b"\x01", b"\xff" * 12]
VALUES += [b"L", b"5", b"x", b"0", b"g", b"tar\x00", b"ustar ", b" \x00", b"a/", b"-1"]


def random_package(rnd: random.Random) -> bytes:
    out = io.BytesIO()
    fmt = rnd.choice([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
    top = rnd.choice(["c", "chart", "c", "a\\b", "."])
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for _ in range(rnd.randint(0, 6)):
            name = rnd.choice(NAMES if rnd.random() < 0.85 else ODD_NAMES)
            info = tarfile.TarInfo(f"{top}/{name}" if rnd.random() < 0.9 else name)
            data = rnd.choice([*CONTENTS, rnd.randbytes(rnd.choice([511, 512, 513, 70000]))])
            kinds = [tarfile.REGTYPE] * 5 + [tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE]
            info.type = rnd.choice(kinds)
            if info.type == tarfile.DIRTYPE:
                data = b""
            if rnd.random() < 0.05:
                info.mode = 0o40755
            info.size = len(data)
            try:
                tar.addfile(info, io.BytesIO(data))
            except ValueError:  # a name the format cannot hold
                continue
    return out.getvalue()


def _fix_checksum(raw: bytearray, at: int) -> None:
    raw[at + 148 : at + 156] = b" " * 8
    raw[at + 148 : at + 156] = b"%06o\x00 " % sum(raw[at : at + 512])


def mutate(rnd: random.Random, raw: bytes) -> bytes:
    """The package, gzipped, maybe damaged in one of several ways."""
    data = bytearray(raw)
    roll = rnd.random()
    if roll < 0.35:
        heads = [i for i in range(0, len(data) - 511, 512) if data[i + 257 : i + 262] == b"ustar"]
        if heads:
            at = rnd.choice(heads)
            offset, width = rnd.choice(FIELDS)
            value = rnd.choice(VALUES)[:width]
            data[at + offset : at + offset + len(value)] = value
            _fix_checksum(data, at)
    elif roll < 0.45 and data:
        data[rnd.randrange(len(data))] = rnd.randrange(256)
    elif roll < 0.55:
        data = data[: rnd.randint(0, len(data))]
    if rnd.random() < 0.1 and data:
        cut = rnd.randint(0, len(data))
        packed = gzip.compress(bytes(data[:cut]), mtime=0) + gzip.compress(bytes(data[cut:]))
    else:
        packed = gzip.compress(bytes(data), mtime=0)
    if rnd.random() < 0.2:
        damaged = bytearray(packed)
        damaged[rnd.randrange(len(damaged))] = rnd.randrange(256)
        packed = bytes(damaged)
    return packed


def _load(data: bytes, metadata_only: bool) -> tuple[str, Any]:
    keep = {"Chart.yaml", "values.yaml"}.__contains__ if metadata_only else None
    try:
        return "ok", load_archive_files(data, keep)
    except ChartInvalid as exc:
        return "error", str(exc)


def _no_fast_pass(
    stream: GzipStream, files: Any, keep: Any, remaining: int, seen: int
) -> tuple[int, int]:
    return remaining, seen


@pytest.mark.parametrize("seed", range(3))
def test_buffered_pass_agrees_with_the_general_loop(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(seed)
    packages = [mutate(rnd, random_package(rnd)) for _ in range(250)]
    fast = [_load(data, meta) for data in packages for meta in (False, True)]
    monkeypatch.setattr(archive, "_read_buffered", _no_fast_pass)
    general = [_load(data, meta) for data in packages for meta in (False, True)]
    assert fast == general
    outcomes = {kind for kind, _ in fast}
    assert outcomes == {"ok", "error"}
    assert len({text for kind, text in fast if kind == "error"}) > 5
