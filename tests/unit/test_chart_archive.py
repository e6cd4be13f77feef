"""Chart package reading: Helm v3's gzip and tar layers, path checks and size limits."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import time
import zlib

import pytest

from app.charts.loader import ChartInvalid
from app.charts.loader import load_chart
from tests.unit.chart_packages import CHART_YAML
from tests.unit.chart_packages import MIB
from tests.unit.chart_packages import chart
from tests.unit.chart_packages import error_of
from tests.unit.chart_packages import tar_bytes
from tests.unit.chart_packages import tgz
from tests.unit.chart_packages import zero_files_tgz

# --- gzip and tar layers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "EOF"),
        (b"\x1f\x8b", "unexpected EOF"),
        (b"not a gzip file at all", "gzip: invalid header"),
        (b"PK\x03\x04" + bytes(40), "gzip: invalid header"),
        (gzip.compress(b""), "no files in chart archive"),
        (gzip.compress(bytes(1024)), "no files in chart archive"),
        (gzip.compress(b"plain text, not a tar stream" * 40), "archive/tar: invalid tar header"),
        (gzip.compress(b"short"), "unexpected EOF"),
    ],
)
def test_stream_errors(data: bytes, message: str) -> None:
    assert error_of(data) == message


def test_truncated_package_is_unexpected_eof() -> None:
    data = chart(("mychart/templates/a.yaml", os.urandom(20000)))
    assert error_of(data[: len(data) // 2]) == "unexpected EOF"
    assert error_of(data[:15]) == "unexpected EOF"


def test_truncated_tar_inside_valid_gzip() -> None:
    raw = tar_bytes([("mychart/Chart.yaml", CHART_YAML), ("mychart/x", b"x" * 2000)], end=False)
    assert error_of(gzip.compress(raw[: 1024 + 100])) == "unexpected EOF"
    assert error_of(gzip.compress(raw[: 1024 + 512 + 100])) == "unexpected EOF"
    # Go's tar reader treats an end of stream inside the padding as the end of the archive.
    assert load_chart(gzip.compress(raw[:700])).metadata["name"] == "mychart"


def test_zero_block_then_data_is_invalid_header() -> None:
    raw = tar_bytes([("mychart/Chart.yaml", CHART_YAML)], end=False)
    later = tar_bytes([("mychart/values.yaml", b"a: 1\n")], end=False)
    assert error_of(gzip.compress(raw + bytes(512) + later)) == "archive/tar: invalid tar header"


def test_corrupted_header_checksum() -> None:
    raw = bytearray(tar_bytes([("mychart/Chart.yaml", CHART_YAML)]))
    raw[0] ^= 0x01
    assert error_of(gzip.compress(bytes(raw))) == "archive/tar: invalid tar header"


def test_archive_without_end_blocks_loads() -> None:
    data = gzip.compress(tar_bytes([("mychart/Chart.yaml", CHART_YAML)], end=False))
    assert load_chart(data).metadata["name"] == "mychart"


def test_bad_crc_is_reported_when_the_data_is_needed() -> None:
    body = bytearray(gzip.compress(tar_bytes([("mychart/Chart.yaml", CHART_YAML)], end=False)))
    body[-8] ^= 0xFF
    assert error_of(bytes(body)) == "gzip: invalid checksum"


def test_trailing_bytes_after_the_archive_are_ignored() -> None:
    assert load_chart(chart() + b"garbage").metadata["name"] == "mychart"


def test_multistream_gzip() -> None:
    raw = tar_bytes([("mychart/Chart.yaml", CHART_YAML), ("mychart/values.yaml", b"a: 1\n")])
    data = gzip.compress(raw[:700]) + gzip.compress(raw[700:])
    assert load_chart(data).values == {"a": 1}


def test_gzip_header_with_extra_name_and_comment_fields() -> None:
    raw = tar_bytes([("mychart/Chart.yaml", CHART_YAML)])
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = comp.compress(raw) + comp.flush()
    header = b"\x1f\x8b\x08" + bytes([0x04 | 0x08 | 0x10]) + bytes(6)
    header += struct.pack("<H", 4) + b"abcd" + b"name.tar\x00" + b"comment\x00"
    trailer = struct.pack("<II", zlib.crc32(raw), len(raw))
    assert load_chart(header + deflated + trailer).metadata["name"] == "mychart"


def test_directories_and_global_headers_are_skipped() -> None:
    folder = tarfile.TarInfo("mychart/templates")
    folder.type = tarfile.DIRTYPE
    records = b"19 comment=hello!!\n"
    glob = tarfile.TarInfo("pax_global_header")
    glob.type = tarfile.XGLTYPE
    glob.size = len(records)
    head = glob.tobuf(tarfile.USTAR_FORMAT) + records + bytes(-len(records) % 512)
    raw = tar_bytes([(folder, b""), ("mychart/Chart.yaml", CHART_YAML)])
    assert load_chart(gzip.compress(head + raw)).metadata["name"] == "mychart"


def test_only_directories_means_no_files() -> None:
    folder = tarfile.TarInfo("mychart")
    folder.type = tarfile.DIRTYPE
    assert error_of(tgz([(folder, b"")])) == "no files in chart archive"


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_file_names(fmt: int) -> None:
    name = "templates/" + "d" * 120 + "/deployment.yaml"
    loaded = load_chart(
        tgz([("mychart/Chart.yaml", CHART_YAML), (f"mychart/{name}", b"k")], fmt=fmt)
    )
    assert loaded.templates == ((name, b"k"),)


def test_ustar_prefix_field() -> None:
    name = "mychart/templates/" + "p" * 90 + "/x.yaml"
    data = tgz([("mychart/Chart.yaml", CHART_YAML), (name, b"k")], fmt=tarfile.USTAR_FORMAT)
    assert load_chart(data).templates == ((name.split("/", 1)[1], b"k"),)


def test_symlink_entries_are_empty_files() -> None:
    link = tarfile.TarInfo("mychart/templates/link.yaml")
    link.type = tarfile.SYMTYPE
    link.linkname = "other.yaml"
    assert load_chart(chart((link, b""))).templates == (("templates/link.yaml", b""),)


# --- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Chart.yaml", 'chart illegally contains content outside the base directory: "Chart.yaml"'),
        ("mychart", 'chart illegally contains content outside the base directory: "mychart"'),
        ("mychart/.", 'chart illegally contains content outside the base directory: "mychart/."'),
        ("Chart.yaml/values.yaml", "chart yaml not in base directory"),
        ("mychart//etc/passwd", "chart illegally contains absolute paths"),
        ("mychart/../../etc/passwd", "chart illegally references parent directory"),
        ("mychart/a/../../x", "chart illegally references parent directory"),
        ("mychart/..hidden", "chart illegally references parent directory"),
        ("mychart/c:/windows", "chart contains illegally named files"),
        ("mychart\\..\\x", "chart illegally references parent directory"),
        ("mychart\\\\abs", "chart illegally contains absolute paths"),
        (
            'my"chart\tx',
            'chart illegally contains content outside the base directory: "my\\"chart\\tx"',
        ),
        (
            "\xe9t\xe9\x01",
            'chart illegally contains content outside the base directory: "\xe9t\xe9\\x01"',
        ),
    ],
)
def test_path_checks(name: str, message: str) -> None:
    assert error_of(tgz([(name, b"data")])) == message


def test_path_checks_happen_in_archive_order() -> None:
    data = tgz([("mychart/Chart.yaml", CHART_YAML), ("/abs", b""), ("stray", b"")])
    assert error_of(data) == 'chart illegally contains content outside the base directory: "stray"'


def test_top_directory_name_is_arbitrary_and_backslashes_are_separators() -> None:
    data = tgz([("whatever\\Chart.yaml", CHART_YAML), ("whatever\\templates\\a.yaml", b"a")])
    loaded = load_chart(data)
    assert loaded.metadata["name"] == "mychart"
    assert loaded.templates == (("templates/a.yaml", b"a"),)


def test_non_ascii_names_through_pax_records() -> None:
    loaded = load_chart(
        tgz([("\xe9/Chart.yaml", CHART_YAML), ("\xe9/templates/\u00e9.yaml", b"x")])
    )
    assert loaded.templates == (("templates/\u00e9.yaml", b"x"),)


def test_paths_are_cleaned() -> None:
    loaded = load_chart(chart(("mychart/./templates//x/../a.yaml", b"a")))
    assert loaded.templates == (("templates/a.yaml", b"a"),)


# --- size limits ---------------------------------------------------------------------------


def test_file_over_5_mib_is_refused() -> None:
    data = zero_files_tgz([6 * MIB])
    expected = (
        'decompressed chart file "big/files/f0.bin" is larger than the maximum file size 5242880'
    )
    assert error_of(data) == expected
    assert error_of(data, metadata_only=True) == expected


def test_file_of_exactly_5_mib_is_fine() -> None:
    assert load_chart(zero_files_tgz([5 * MIB]), metadata_only=True).metadata["name"] == "mychart"


def test_total_over_100_mib_fails_quickly() -> None:
    data = zero_files_tgz([3 * MIB] * 40)
    assert len(data) < 2 * MIB
    started = time.perf_counter()
    message = error_of(data, metadata_only=True)
    assert message == "decompressed chart is larger than the maximum file size 104857600"
    assert time.perf_counter() - started < 5
    assert error_of(data) == message


def test_total_of_exactly_100_mib_is_refused_like_helm() -> None:
    chart_yaml_size = len(CHART_YAML)
    data = zero_files_tgz([5 * MIB] * 19 + [5 * MIB - chart_yaml_size])
    assert error_of(data, metadata_only=True) == (
        "decompressed chart is larger than the maximum file size 104857600"
    )


def test_header_size_larger_than_data_is_unexpected_eof() -> None:
    info = tarfile.TarInfo("mychart/templates/a.yaml")
    info.size = 4000
    raw = tar_bytes([("mychart/Chart.yaml", CHART_YAML)], end=False) + info.tobuf() + b"x" * 10
    assert error_of(gzip.compress(raw)) == "unexpected EOF"


def test_pipe_in_a_numeric_header_field_is_an_invalid_header() -> None:
    raw = io.BytesIO()
    data = b"apiVersion: v2\nname: a\nversion: 1.0.0\n"
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("a/Chart.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    block = bytearray(raw.getvalue())
    block[100:108] = b"00|0644\x00"  # the mode field
    block[148:156] = b"        "
    block[148:156] = (f"{sum(block[:512]):06o}\x00 ").encode()
    with pytest.raises(ChartInvalid, match="archive/tar: invalid tar header"):
        load_chart(gzip.compress(bytes(block)))
