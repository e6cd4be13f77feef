"""Chart package loading: Helm v3's archive loader, its limits and its exact messages."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from app.charts.loader import ChartInvalid
from app.charts.loader import LoadedChart
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


# --- Chart.yaml and metadata ----------------------------------------------------------------


def test_minimal_chart() -> None:
    loaded = load_chart(chart(chart_yaml=b"name: mychart\nversion: 0.1.0\n"))
    assert isinstance(loaded, LoadedChart)
    assert loaded.metadata == {"name": "mychart", "version": "0.1.0", "apiVersion": "v1"}
    assert list(loaded.metadata) == ["name", "version", "apiVersion"]
    assert loaded.templates == ()
    assert loaded.values is None
    assert loaded.values_raw is None


def test_missing_chart_yaml() -> None:
    assert error_of(tgz([("mychart/values.yaml", b"a: 1\n")])) == "Chart.yaml file is missing"


def test_chart_yaml_in_a_subdirectory_does_not_count() -> None:
    data = tgz([("mychart/sub/Chart.yaml", CHART_YAML)])
    assert error_of(data) == "Chart.yaml file is missing"


def test_full_metadata_in_helm_order() -> None:
    chart_yaml = b"""
type: application
dependencies:
- name: redis
  version: ~17.0.0
  repository: https://charts.example.com
  condition: redis.enabled
  tags: [cache]
  enabled: true
  import-values: [child, {child: a, parent: b}]
  alias: cache
- name: db
  repository: ""
kubeVersion: ">=1.20"
annotations: {b: "2", a: 1}
deprecated: true
appVersion: "1.2.3"
tags: t1,t2
condition: c
apiVersion: v2
icon: https://example.com/icon.png
maintainers:
- name: Jane
  email: jane@example.com
  url: https://jane.example.com
- {}
keywords: [web, app]
description: A chart
version: 1.2.3-rc.1+build.5
sources: [https://github.com/example/chart]
home: https://example.com
name: mychart
unknownKey: ignored
"""
    md = metadata_of(chart_yaml)
    assert list(md) == [
        "name",
        "home",
        "sources",
        "version",
        "description",
        "keywords",
        "maintainers",
        "icon",
        "apiVersion",
        "condition",
        "tags",
        "appVersion",
        "deprecated",
        "annotations",
        "kubeVersion",
        "dependencies",
        "type",
    ]
    assert md["version"] == "1.2.3-rc.1+build.5"
    assert md["annotations"] == {"a": "1", "b": "2"}
    assert md["maintainers"] == [
        {"name": "Jane", "email": "jane@example.com", "url": "https://jane.example.com"},
        {},
    ]
    assert md["dependencies"] == [
        {
            "name": "redis",
            "version": "~17.0.0",
            "repository": "https://charts.example.com",
            "condition": "redis.enabled",
            "tags": ["cache"],
            "enabled": True,
            "import-values": ["child", {"child": "a", "parent": "b"}],
            "alias": "cache",
        },
        {"name": "db", "repository": ""},
    ]


def test_empty_values_are_omitted() -> None:
    md = metadata_of(
        b"name: m\nversion: 1.0.0\nhome: ''\nsources: []\nkeywords: []\n"
        b"maintainers: []\ndeprecated: false\nannotations: {}\ndependencies: []\n"
    )
    assert md == {"name": "m", "version": "1.0.0", "apiVersion": "v1"}


def test_keys_match_case_insensitively_and_exact_match_wins() -> None:
    md = metadata_of(b"NAME: upper\nVersion: 1.0.0\nAPIVERSION: v2\nappversion: '3'\n")
    assert md == {"name": "upper", "version": "1.0.0", "apiVersion": "v2", "appVersion": "3"}
    md = metadata_of(b"Name: first\nname: exact\nversion: 1.0.0\n")
    assert md["name"] == "exact"


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        (b"1.10", "1.1"),
        (b"1.0", "1"),
        (b"2", "2"),
        (b"1.2.3", "1.2.3"),
        (b"'1.10'", "1.10"),
        (b"true", "true"),
        (b"y", "true"),
        (b"no", "false"),
        (b"1e3", "1000"),
        (b"0x1F", "31"),
        (b"010", "8"),
        (b"1_000", "1000"),
        (b"1234567.0", "1.234567e+06"),
        (b"3.14159265358979", "3.1415927"),
        (b"1:30", "1:30"),
        (b"2024-01-02", "2024-01-02"),
        (b".inf", "+Inf"),
        (b"v1.0", "v1.0"),
    ],
)
def test_app_version_is_always_text(yaml_value: bytes, expected: str) -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\nappVersion: " + yaml_value + b"\n")
    assert md["appVersion"] == expected


def test_numeric_version_is_converted_then_validated() -> None:
    md = metadata_of(b"name: m\nversion: 1.0\n")
    assert md["version"] == "1"


def test_sanitisation() -> None:
    chart_yaml = (
        b'name: "my\\tchart"\nversion: 1.0.0\n'
        b"description: |\n  line one\n  line\ttwo\n"
        b'home: "h\\x01ome"\nicon: "i\\u200bcon"\nkeywords: ["a\\nb"]\nsources: ["s\\u2028x"]\n'
        b'appVersion: "1\\r\\n2"\nkubeVersion: "\\xa0>=1"\ncondition: "c\\x7f"\ntags: "t\\vx"\n'
        b'maintainers: [{name: "n\\u0085x", email: "e\\x00", url: "u\\x1c"}]\n'
        b'dependencies: [{name: "d\\tx", version: "1\\n", repository: "r\\x02", condition: "c\\f",'
        b' tags: ["t\\ty"], alias: "al"}]\n'
    )
    md = metadata_of(chart_yaml)
    assert md["name"] == "my chart"
    assert md["description"] == "line one line two "
    assert md["home"] == "home"
    assert md["icon"] == "icon"
    assert md["keywords"] == ["a b"]
    assert md["sources"] == ["s x"]
    assert md["appVersion"] == "1  2"
    assert md["kubeVersion"] == " >=1"
    assert md["condition"] == "c"
    assert md["tags"] == "t x"
    assert md["maintainers"] == [{"name": "n x", "email": "e", "url": "u"}]
    assert md["dependencies"] == [
        {
            "name": "d x",
            "version": "1 ",
            "repository": "r",
            "condition": "c ",
            "tags": ["t y"],
            "alias": "al",
        }
    ]


def test_annotation_values_become_text_and_null_becomes_empty() -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\nannotations: {a: 1.5, b: ~, c: yes}\n")
    assert md["annotations"] == {"a": "1.5", "b": "", "c": "true"}


def test_utf8_bom_is_stripped_everywhere() -> None:
    bom = b"\xef\xbb\xbf"
    loaded = load_chart(
        chart(
            ("mychart/values.yaml", bom + b"# comment\nkey: value\n"),
            ("mychart/templates/a.yaml", bom + b"kind: A"),
            chart_yaml=bom + CHART_YAML,
        )
    )
    assert loaded.metadata["name"] == "mychart"
    assert loaded.values_raw == b"# comment\nkey: value\n"
    assert loaded.values == {"key": "value"}
    assert loaded.templates == (("templates/a.yaml", b"kind: A"),)


def test_api_version_defaults_to_v1() -> None:
    assert metadata_of(b"name: m\nversion: 1.0.0\n")["apiVersion"] == "v1"
    assert metadata_of(b"name: m\nversion: 1.0.0\napiVersion: ''\n")["apiVersion"] == "v1"
    assert metadata_of(b"name: m\nversion: 1.0.0\napiVersion: v3\n")["apiVersion"] == "v3"


def test_only_the_first_yaml_document_is_read() -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\n---\nname: other\n---\n: [broken\n")
    assert md["name"] == "m"


@pytest.mark.parametrize(
    ("chart_yaml", "message"),
    [
        (b"", "validation: chart.metadata.name is required"),
        (b"~", "validation: chart.metadata.name is required"),
        (b"version: 1.0.0\n", "validation: chart.metadata.name is required"),
        (b"name: '.'\nversion: 1.0.0\n", 'validation: chart.metadata.name "." is not allowed'),
        (b"name: '..'\nversion: 1.0.0\n", 'validation: chart.metadata.name ".." is not allowed'),
        (b"name: a/b\nversion: 1.0.0\n", 'validation: chart.metadata.name "a/b" is invalid'),
        (b"name: a/\nversion: 1.0.0\n", 'validation: chart.metadata.name "a/" is invalid'),
        (
            b'name: "q\\"/x"\nversion: 1.0.0\n',
            'validation: chart.metadata.name "q\\"/x" is invalid',
        ),
        (b"name: m\n", "validation: chart.metadata.version is required"),
        (b"name: m\nversion: ''\n", "validation: chart.metadata.version is required"),
        (b"name: m\nversion: x\n", 'validation: chart.metadata.version "x" is invalid'),
        (b"name: m\nversion: '1.0.0 '\n", 'validation: chart.metadata.version "1.0.0 " is invalid'),
        (
            b"name: m\nversion: '01.0.0-01'\n",
            'validation: chart.metadata.version "01.0.0-01" is invalid',
        ),
        (
            b"name: m\nversion: 1.0.0\ntype: other\n",
            "validation: chart.metadata.type must be application or library",
        ),
        (
            b"name: m\nversion: 1.0.0\nmaintainers: [~]\n",
            "validation: maintainers must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\nmaintainers:\n-\n",
            "validation: maintainers must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [null]\n",
            "validation: dependencies must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d, alias: 'bad alias'}]\n",
            'validation: dependency "d" has disallowed characters in the alias',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d, alias: 'x\\n'}]\n",
            'validation: dependency "d" has disallowed characters in the alias',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d}, {name: d}]\n",
            'validation: more than one dependency with name or alias "d"',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: a, alias: x}, {name: x}]\n",
            'validation: more than one dependency with name or alias "x"',
        ),
    ],
)
def test_validation_messages(chart_yaml: bytes, message: str) -> None:
    assert error_of(chart(chart_yaml=chart_yaml)) == message
    assert error_of(chart(chart_yaml=chart_yaml), metadata_only=True) == message


def test_lenient_versions_are_accepted() -> None:
    for version in (b"v1.2", b"1", b"1.2.3-alpha.1+b.2", b"01.02.03"):
        assert metadata_of(b"name: m\nversion: " + version + b"\n")["version"] == version.decode()


def test_unusual_names_are_accepted() -> None:
    assert metadata_of(b"name: 'my chart.v2'\nversion: 1.0.0\n")["name"] == "my chart.v2"
    assert metadata_of(b"name: 'a\\b'\nversion: 1.0.0\n")["name"] == "a\\b"


@pytest.mark.parametrize(
    ("chart_yaml", "message"),
    [
        (
            b"name: x\nversion: 1.0.0\n foo: bar\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 3: mapping values are not allowed in this context",
        ),
        (
            b"name: [x\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected ',' or ']'",
        ),
        (
            b"name: x\n\tversion: 1\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 2: found a tab character that violates indentation",
        ),
        (
            b"- a\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go value of type chart.Metadata",
        ),
        (
            b"just text\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go value of type chart.Metadata",
        ),
        (
            b"name: [x]\nversion: 1.0.0\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Metadata.name of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\nsources: abc\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go struct field Metadata.sources of type []string",
        ),
        (
            b"name: x\nversion: 1.0.0\ndeprecated: 'yes'\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go struct field Metadata.deprecated of type bool",
        ),
        (
            b"name: x\nversion: 1.0.0\nmaintainers: [bob]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal string into Go struct field Metadata.maintainers of type chart.Maintainer",
        ),
        (
            b"name: x\nversion: 1.0.0\nmaintainers: [{name: [1]}]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go struct field Maintainer.maintainers.name of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\ndependencies: [{name: d, tags: t}]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal string into Go struct field Dependency.dependencies.tags of type []string",
        ),
        (
            b"name: x\nversion: 1.0.0\nannotations: [a]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go struct field Metadata.annotations of type map[string]string",
        ),
        (
            b"name: x\nversion: 1.0.0\ntags: [a]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Metadata.tags of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\nextra: .nan\n",
            "cannot load Chart.yaml: error converting YAML to JSON: json: unsupported value: NaN",
        ),
    ],
)
def test_chart_yaml_decoding_errors(chart_yaml: bytes, message: str) -> None:
    assert error_of(chart(chart_yaml=chart_yaml)) == message


@pytest.mark.parametrize(
    ("chart_yaml", "expected"),
    [
        (b"base: &b {name: a, version: 1.0.0}\n<<: *b\n", {"name": "a"}),
        (b"<<: [{name: a}, {name: b, version: 1.0.0}]\n", {"name": "a"}),
        (b"name: z\n<<: {name: a, version: 1.0.0}\n", {"name": "a"}),
        (b"<<: {name: a, version: 1.0.0}\nname: z\n", {"name": "z"}),
        (b"name: &n x\nversion: &n 1.0.0\ndescription: *n\n", {"description": "1.0.0"}),
        (b"name: !!str 12\nversion: !!float 1\n", {"name": "12", "version": "1"}),
        (b"name: !custom x\nversion: 1.0.0\n", {"name": "x"}),
        (b"name: x\nversion: 1.0.0\n1: a\ntrue: b\n", {"name": "x"}),
    ],
)
def test_go_yaml_semantics(chart_yaml: bytes, expected: dict[str, str]) -> None:
    md = metadata_of(chart_yaml)
    assert {key: md[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("chart_yaml", "problem"),
    [
        (b"a: &a [*a]\n", "yaml: anchor 'a' value contains itself"),
        (b"name: x\nb: &b {c: [&c {d: *c}]}\n", "yaml: anchor 'c' value contains itself"),
        (b"name: *unknown\n", "yaml: unknown anchor 'unknown' referenced"),
        (b"name: !!int x\n", "yaml: cannot decode !!str `x` as a !!int"),
        (b"<<: 1\nname: a\n", "yaml: map merge requires map or sequence of maps as the value"),
        (b"name: x\n[a]: x\n", 'yaml: invalid map key: []interface {}{"a"}'),
        (b"name: x\n~: x\n", 'unsupported map key of type: %!s(<nil>), key: <nil>, value: "x"'),
        (
            b"name: x\nx: " + b"[" * 20000 + b"]" * 20000,
            "yaml: line 2: exceeded max depth of 10000",
        ),
    ],
)
def test_go_yaml_errors(chart_yaml: bytes, problem: str) -> None:
    message = error_of(chart(chart_yaml=chart_yaml))
    assert message == f"cannot load Chart.yaml: error converting YAML to JSON: {problem}"


def test_excessive_aliasing_is_refused() -> None:
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10).encode()
        lines.append(f"a{level}: &a{level} [".encode() + refs + b"]")
    values = b"\n".join(lines) + b"\n"
    started = time.perf_counter()
    message = error_of(chart(("mychart/values.yaml", values)))
    assert message == (
        "cannot load values.yaml: error converting YAML to JSON: "
        "yaml: document contains excessive aliasing"
    )
    assert time.perf_counter() - started < 5


# --- other top-level files -------------------------------------------------------------


def test_templates_values_and_raw_values() -> None:
    values = b"# Default values\nreplicaCount: 1\nimage: {repository: nginx, tag: ''}\nratio: 2.0\n"
    loaded = load_chart(
        chart(
            ("mychart/templates/b.yaml", b"B"),
            ("mychart/values.yaml", values),
            ("mychart/templates/a.yaml", b"A"),
            ("mychart/README.md", b"readme"),
            ("mychart/values.schema.json", b"{}"),
        )
    )
    assert loaded.templates == (("templates/b.yaml", b"B"), ("templates/a.yaml", b"A"))
    assert loaded.values_raw == values
    assert loaded.values == {
        "image": {"repository": "nginx", "tag": ""},
        "ratio": 2,
        "replicaCount": 1,
    }


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"~\n"])
def test_empty_values_file_gives_empty_dict(content: bytes) -> None:
    loaded = load_chart(chart(("mychart/values.yaml", content)))
    assert loaded.values == {}
    assert loaded.values_raw == content


def test_values_keys_become_strings() -> None:
    loaded = load_chart(chart(("mychart/values.yaml", b"1: a\ntrue: b\n1.5: c\nn: d\n")))
    assert loaded.values == {"1": "a", "1.5": "c", "false": "d", "true": "b"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "values.yaml",
            b"- a\n",
            "cannot load values.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            "values.yaml",
            b"a: [\n",
            "cannot load values.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected node content",
        ),
        (
            "values.yaml",
            b"a: .inf\n",
            "cannot load values.yaml: error converting YAML to JSON: json: unsupported value: +Inf",
        ),
        (
            "Chart.lock",
            b"generated: yesterday\n",
            "cannot load Chart.lock: error unmarshaling JSON: while decoding JSON: parsing time "
            '"yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
        ),
        (
            "Chart.lock",
            b"digest: [a]\n",
            "cannot load Chart.lock: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Lock.digest of type string",
        ),
        (
            "requirements.lock",
            b"dependencies: {a: 1}\n",
            "cannot load requirements.lock: error unmarshaling JSON: while decoding JSON: json: "
            "cannot unmarshal object into Go struct field Lock.dependencies of type []*chart.Dependency",
        ),
        (
            "requirements.yaml",
            b"dependencies: [\n",
            "cannot load requirements.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected node content",
        ),
    ],
)
def test_other_files_must_parse(name: str, content: bytes, message: str) -> None:
    assert error_of(chart((f"mychart/{name}", content))) == message


def test_valid_lock_files() -> None:
    lock = (
        b"dependencies:\n- name: redis\n  repository: https://x\n  version: 1.0.0\n"
        b"digest: sha256:abc\ngenerated: 2024-01-02T03:04:05.123456789+01:00\n"
    )
    loaded = load_chart(chart(("mychart/Chart.lock", lock), ("mychart/requirements.lock", lock)))
    assert loaded.metadata["name"] == "mychart"


def test_requirements_yaml_provides_dependencies() -> None:
    requirements = b"dependencies:\n- name: redis\n  version: 1.x\n  repository: '@stable'\n"
    md = metadata_of(b"name: m\nversion: 1.0.0\n", ("mychart/requirements.yaml", requirements))
    assert md["dependencies"] == [{"name": "redis", "version": "1.x", "repository": "@stable"}]


def test_requirements_yaml_is_validated_with_the_metadata() -> None:
    requirements = b"dependencies:\n- name: a\n- name: a\n"
    data = chart(
        ("mychart/requirements.yaml", requirements), chart_yaml=b"name: m\nversion: 1.0.0\n"
    )
    assert error_of(data) == 'validation: more than one dependency with name or alias "a"'


def test_lock_file_without_chart_yaml() -> None:
    data = tgz([("mychart/requirements.lock", b"digest: x\n")])
    assert error_of(data) == "validation: chart.metadata.apiVersion is required"
    data = tgz([("mychart/Chart.lock", b"digest: x\n")])
    assert error_of(data) == "Chart.yaml file is missing"


# --- sub-charts ---------------------------------------------------------------------------


def test_valid_subcharts_in_directories_and_archives() -> None:
    sub_tgz = tgz([("sub2/Chart.yaml", b"name: sub2\nversion: 2.0.0\n")])
    loaded = load_chart(
        chart(
            ("mychart/charts/sub1/Chart.yaml", b"name: sub1\nversion: 1.0.0\n"),
            ("mychart/charts/sub1/templates/x.yaml", b"x"),
            ("mychart/charts/sub2-2.0.0.tgz", sub_tgz),
            ("mychart/charts/sub2-2.0.0.tgz.prov", b"signature"),
            ("mychart/charts/_ignored/nothing", b""),
            ("mychart/charts/.hidden", b""),
        )
    )
    assert loaded.templates == ()
    assert loaded.metadata["name"] == "mychart"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [("mychart/charts/sub/Chart.yaml", b"name: sub\n")],
            "error unpacking subchart sub in mychart: validation: chart.metadata.version is required",
        ),
        (
            [("mychart/charts/sub/values.yaml", b"a: 1\n")],
            "error unpacking subchart sub in mychart: Chart.yaml file is missing",
        ),
        (
            [("mychart/charts/README.md", b"readme")],
            "error unpacking subchart README.md in mychart: Chart.yaml file is missing",
        ),
        (
            [("mychart/charts/sub-1.0.0.tgz", b"not a gzip archive")],
            "error unpacking subchart sub-1.0.0.tgz in mychart: gzip: invalid header",
        ),
        (
            [("mychart/charts/sub-1.0.0.tgz", gzip.compress(b""))],
            "error unpacking subchart sub-1.0.0.tgz in mychart: no files in chart archive",
        ),
        (
            [("mychart/charts/sub.tgz/Chart.yaml", CHART_YAML)],
            "error unpacking subchart tar in mychart: expected sub.tgz, got sub.tgz/Chart.yaml",
        ),
        (
            [
                ("mychart/charts/sub/Chart.yaml", b"name: sub\nversion: 1.0.0\n"),
                ("mychart/charts/sub/charts/deep/Chart.yaml", b"name: deep\nversion: bad\n"),
            ],
            "error unpacking subchart sub in mychart: error unpacking subchart deep in sub: "
            'validation: chart.metadata.version "bad" is invalid',
        ),
        (
            [
                ("mychart/charts/sub/Chart.yaml", b"name: sub\nversion: 1.0.0\n"),
                ("mychart/charts/sub/values.yaml", b"- x\n"),
            ],
            "error unpacking subchart sub in mychart: cannot load values.yaml: error unmarshaling "
            "JSON: while decoding JSON: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
    ],
)
def test_subchart_errors(entries: list[Entry], message: str) -> None:
    assert error_of(chart(*entries)) == message


def test_subchart_archive_errors_use_the_sanitised_parent_name() -> None:
    data = chart(
        ("my\tchart/charts/sub/values.yaml", b""),
        chart_yaml=b'name: "my\\tchart"\nversion: 1.0.0\n',
        top="my\tchart",
    )
    assert error_of(data) == "error unpacking subchart sub in my chart: Chart.yaml file is missing"


def test_subchart_archive_has_its_own_size_budget() -> None:
    sub = zero_files_tgz([5 * MIB] * 2)
    assert load_chart(chart(("mychart/charts/big-1.0.0.tgz", sub))).metadata["name"] == "mychart"


# --- metadata_only fast path --------------------------------------------------------------


def test_metadata_only_skips_values_templates_and_subcharts() -> None:
    data = chart(
        ("mychart/values.yaml", b"- not a map\n"),
        ("mychart/templates/a.yaml", b"A"),
        ("mychart/charts/sub/values.yaml", b""),
    )
    loaded = load_chart(data, metadata_only=True)
    assert loaded.metadata["name"] == "mychart"
    assert (loaded.templates, loaded.values, loaded.values_raw) == ((), None, None)
    assert error_of(data).startswith("cannot load values.yaml")


def test_metadata_only_still_reads_requirements_and_locks() -> None:
    requirements = b"dependencies:\n- name: redis\n  repository: r\n"
    md = load_chart(
        chart(("mychart/requirements.yaml", requirements), chart_yaml=b"name: m\nversion: 1.0.0\n"),
        metadata_only=True,
    ).metadata
    assert md["dependencies"] == [{"name": "redis", "repository": "r"}]
    data = chart(("mychart/Chart.lock", b"digest: [x]\n"))
    assert error_of(data, metadata_only=True).startswith("cannot load Chart.lock:")


def test_metadata_only_still_checks_paths_and_presence() -> None:
    assert (
        error_of(tgz([("x/values.yaml", b"")]), metadata_only=True) == "Chart.yaml file is missing"
    )
    data = chart(("mychart/../x", b""))
    assert error_of(data, metadata_only=True) == "chart illegally references parent directory"


# --- packages made by Helm itself -----------------------------------------------------------


@pytest.fixture
def helm(tmp_path: Path) -> Any:
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        os.environ.setdefault(var, str(tmp_path / var.lower()))
    import helm_python

    return helm_python


COMMON_FIELDS = ("name", "version", "description", "apiVersion", "appVersion", "type")


def test_real_helm_package_matches_helm(helm: Any, tmp_path: Path) -> None:
    helm_python = helm
    helm_python.Chart.create("web", str(tmp_path))
    package = helm_python.package(str(tmp_path / "web"), destination=str(tmp_path))
    data = Path(package).read_bytes()
    expected = helm_python.Chart.load(package)
    for loaded in (load_chart(data), load_chart(data, metadata_only=True)):
        for key in COMMON_FIELDS:
            assert loaded.metadata.get(key) == expected.metadata.get(key), key
    loaded = load_chart(data)
    assert [n for n, _ in loaded.templates] == [t["name"] for t in expected.templates]
    assert loaded.values == expected.values
    assert loaded.values_raw == (tmp_path / "web" / "values.yaml").read_bytes()


def test_real_helm_package_with_rich_metadata(helm: Any, tmp_path: Path) -> None:
    helm_python = helm
    helm_python.Chart.create("rich", str(tmp_path))
    chart_dir = tmp_path / "rich"
    (chart_dir / "Chart.yaml").write_text(
        "apiVersion: v2\nname: rich\nversion: 1.2.3\nappVersion: 1.10\n"
        "description: |\n  Multi\n  line\nkeywords: [a, 2]\nhome: https://h\n"
        "maintainers:\n- name: Jane\n  email: j@x\n- name: Bob\n"
        "annotations:\n  x: 1\nkubeVersion: '>=1.19'\nsources: [https://s]\n"
        "icon: https://i\ndeprecated: true\ntype: application\n"
    )
    sub = chart_dir / "charts" / "sub"
    helm_python.Chart.create("sub", str(chart_dir / "charts"))
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    package = helm_python.package(str(chart_dir), destination=str(tmp_path))
    expected = helm_python.Chart.load(package).metadata
    loaded = load_chart(Path(package).read_bytes()).metadata
    assert loaded == expected
    assert loaded["appVersion"] == "1.1"
    assert loaded["description"] == "Multi line "


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
