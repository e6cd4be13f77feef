"""Tests for app.index.render and its app.gocompat rules: go-yaml YAML, Go JSON, times, order."""

from __future__ import annotations

import datetime
import functools
import http.server
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.gocompat import json_encoding
from app.gocompat import natural_order
from app.gocompat import times
from app.index import render

GENERATED = "2024-05-01T10:00:05Z"
CREATED = "2024-05-01T10:00:00.123456789Z"
DIGEST = "0f3a" + "1" * 60

TRICKY = [
    "1.0", "1", "1.10", "0x1", "0o17", "0b101", "1e3", "1_000", "08", "+1", "-1", ".5", "1.",
    "true", "True", "false", "yes", "no", "on", "off", "y", "n", "Y", "null", "Null", "~", "",
    "=", "<<", ".inf", "-.inf", ".nan", "1:20", "2024-01-01", "2024-01-01T10:00:00",
    CREATED, "2024-05-01 10:00:00", " lead", "trail ", "a: b", "a:", "a:b", "#x", "a #x",
    "a#x", "- x", "-x", "-", "?", "? x", ":x", ": x", "*star", "&anchor", "!tag", "|pipe",
    ">fold", "%pc", "@at", "`tick", "'sq", '"dq', "it's", 'say "hi"', "back\\slash",
    "---", "--- x", "...", "a,b", "[x]", "{x}", "ünïcødé", "日本語", "emoji 😀", "tab\tin",
    "nbsp\u00a0x", "\ufeffbom", "bom\ufeffmid", "ls\u2028x", "ps\u2029x", "nel\x85x",
    "bell\x07x", "cr\rx", "del\x7fx", "multi\nline", "multi\nline\n", "keep\n\n", "\nlead",
    "  indented\nx", "a \nb", "a\n b", "x" * 200, " ".join(["word"] * 50),
    "a" * 79 + " b", "a" * 81 + " b c", ("colon: " * 20).strip(), ("it's " * 30).strip(),
    ("emoji 😀 " * 20).strip(), "x" * 100 + "  two  spaces " + "y" * 30,
]  # fmt: skip


def record(**metadata: Any) -> dict[str, Any]:
    """A chart-version record for a chart ``demo`` with the given extra metadata."""
    base: dict[str, Any] = {"name": "demo", "version": "1.0.0"}
    base.update(metadata)
    return render.chart_version_record(
        base, urls=["charts/demo-1.0.0.tgz"], created=CREATED, digest=DIGEST
    )


def index_yaml(entries: dict[str, list[dict[str, Any]]], context_path: str = "") -> bytes:
    names = sorted(entries, key=natural_order.natural_key)
    blocks = (
        render.yaml_chart_header(n) + b"".join(render.yaml_entry(r) for r in entries[n])
        for n in names
    )
    return render.render_yaml_index(blocks, generated=GENERATED, context_path=context_path)


def expected(entries: dict[str, Any], context_path: str = "") -> dict[str, Any]:
    info = {"contextPath": context_path} if context_path else {}
    return {"apiVersion": "v1", "entries": entries, "generated": GENERATED, "serverInfo": info}


def tricky_records() -> list[dict[str, Any]]:
    records = []
    for s in TRICKY:
        records.append(record(description=s, appVersion=s, home=s, keywords=[s, "k"], sources=[s]))
        records.append(
            record(
                annotations={"k": s, s or "empty": "v"},
                maintainers=[{"name": s, "email": "e@x", "url": s}],
                dependencies=[
                    {"name": s, "repository": s, "import-values": [s, {"child": s, "parent": "p"}]}
                ],
            )
        )
    return records


def random_string(rnd: random.Random) -> str:
    alphabet = "ab xyz  ::##--''\"\\é日😀\n\t09.,[]{}?!&*|>%@`~_+\u00a0\ufeff\x85\r"
    if rnd.random() < 0.5:
        return "".join(rnd.choice(alphabet) for _ in range(rnd.choice([1, 2, 5, 30, 90, 200])))
    words = ("".join(rnd.choice("abcdef") for _ in range(rnd.randint(1, 12))) for _ in range(40))
    return rnd.choice([" ", ": ", " #", "'", "\n", "😀 ", "  "]).join(words)


# -- (a) round trip through a YAML 1.1 parser -----------------------------------------------------
def test_tricky_records_round_trip() -> None:
    records = tricky_records()
    entries = {f"c{i}": [r] for i, r in enumerate(records)}
    assert yaml.safe_load(index_yaml(entries)) == expected(entries)


def test_random_records_round_trip() -> None:
    rnd = random.Random(1234)
    entries: dict[str, list[dict[str, Any]]] = {}
    for i in range(300):
        s = [random_string(rnd) for _ in range(6)]
        entries[random_string(rnd) + str(i)] = [
            record(description=s[0], keywords=[s[1]], annotations={s[2]: s[3]}),
            record(dependencies=[{"name": s[4], "repository": "", "import-values": [s[5]]}]),
        ]
    assert yaml.safe_load(index_yaml(entries, "/cm")) == expected(entries, "/cm")


def test_non_string_values_round_trip() -> None:
    values: list[Any] = [
        None,
        True,
        False,
        0,
        -7,
        2**40,
        1.5,
        1e-7,
        1234567.5,
        2.0,
        {},
        [],
        {"a": [1, "x"]},
    ]
    rec = record(dependencies=[{"name": "d", "repository": "r", "import-values": values}])
    text = render.yaml_entry(rec).decode()
    assert (
        "    - import-values:\n      - null\n      - true\n      - false\n      - 0\n"
        "      - -7\n      - 1099511627776\n      - 1.5\n      - 1e-07\n"
        "      - 1.2345675e+06\n      - 2\n      - {}\n      - []\n"
        "      - a:\n        - 1\n        - x\n"
    ) in text  # floats as Go's strconv 'g' format writes them
    loaded = yaml.safe_load(text)[0]["dependencies"][0]["import-values"]
    assert loaded[:7] == [None, True, False, 0, -7, 2**40, 1.5]
    assert loaded[9:] == [2, {}, [], {"a": [1, "x"]}]


def test_long_keys_use_explicit_key_form() -> None:
    long_name = "l" * 140
    rec = record(annotations={"k" * 140: "v", "multi\nkey": "w"})
    body = index_yaml({long_name: [rec, rec], "short": [rec]})
    assert b"\n  ? " + long_name.encode() + b"\n  :\n" in body
    assert yaml.safe_load(body) == expected({long_name: [rec, rec], "short": [rec]})


# -- (b) exact bytes ------------------------------------------------------------------------------
def test_empty_index_bytes() -> None:
    assert render.render_yaml_index([], generated=GENERATED, context_path="") == (
        b'apiVersion: v1\nentries: {}\ngenerated: "2024-05-01T10:00:05Z"\nserverInfo: {}\n'
    )


def test_one_chart_index_bytes() -> None:
    rec = render.chart_version_record(
        {"name": "mychart", "version": "0.1.0"},
        urls=["charts/mychart-0.1.0.tgz"],
        created=CREATED,
        digest=DIGEST,
    )
    assert (
        index_yaml({"mychart": [rec]}, "/cm")
        == (
            "apiVersion: v1\n"
            "entries:\n"
            "  mychart:\n"
            "  - apiVersion: v1\n"
            '    created: "2024-05-01T10:00:00.123456789Z"\n'
            f"    digest: {DIGEST}\n"
            "    name: mychart\n"
            "    urls:\n"
            "    - charts/mychart-0.1.0.tgz\n"
            "    version: 0.1.0\n"
            'generated: "2024-05-01T10:00:05Z"\n'
            "serverInfo:\n"
            "  contextPath: /cm\n"
        ).encode()
    )


def test_entry_bytes_match_go_yaml() -> None:
    """Expected text as written by Helm's go-yaml v2 emitter (``helm repo index``)."""
    rec = render.chart_version_record(
        {
            "apiVersion": "v2",
            "name": "c0",
            "version": "1.0.0",
            "appVersion": "1.10",
            "home": "https://example.com/a b",
            "description": "mychart is a generated chart used to measure a chart repository "
            "at scale, with enough words to fold twice over the eighty column limit",
            "keywords": [
                "it's a 'quoted' keyword: with a colon and enough text to be folded by the "
                "emitter at eighty columns"
            ],
            "annotations": {
                "emoji": "smile \U0001f600 " + "word " * 16 + "end",
                "notes": "line one\n  indented\n\nlast\n",
                "\ufeffbom": "x",
                "1.0": "true",
                "k": "- dash",
            },
        },
        urls=["c0-1.0.0.tgz"],
        created=CREATED,
        digest=DIGEST,
    )
    assert render.yaml_entry(rec).decode() == (
        "  - annotations:\n"
        '      "\\uFEFF\\x62\\x6F\\x6D": x\n'
        '      "1.0": "true"\n'
        '      emoji: "smile \\U0001F600 word word word word word word word word word word word\n'
        '        word word word word word end"\n'
        "      k: '- dash'\n"
        "      notes: |\n"
        "        line one\n"
        "          indented\n"
        "\n"
        "        last\n"
        "    apiVersion: v2\n"
        '    appVersion: "1.10"\n'
        '    created: "2024-05-01T10:00:00.123456789Z"\n'
        "    description: mychart is a generated chart used to measure a chart repository at\n"
        "      scale, with enough words to fold twice over the eighty column limit\n"
        f"    digest: {DIGEST}\n"
        "    home: https://example.com/a b\n"
        "    keywords:\n"
        "    - 'it''s a ''quoted'' keyword: with a colon and enough text to be folded by the\n"
        "      emitter at eighty columns'\n"
        "    name: c0\n"
        "    urls:\n"
        "    - c0-1.0.0.tgz\n"
        "    version: 1.0.0\n"
    )


def test_nested_dependencies_layout() -> None:
    rec = record(
        maintainers=[{"name": "Team 1", "email": "t@example.com"}],
        dependencies=[
            {
                "name": "dep",
                "version": "~1.0.0",
                "repository": "https://charts.example.com",
                "enabled": True,
                "tags": ["a"],
                "import-values": ["x", {"parent": "p", "child": "c"}],
            }
        ],
    )
    text = render.yaml_entry(rec).decode()
    assert (
        "    dependencies:\n"
        "    - enabled: true\n"
        "      import-values:\n"
        "      - x\n"
        "      - child: c\n"
        "        parent: p\n"
        "      name: dep\n"
        "      repository: https://charts.example.com\n"
        "      tags:\n"
        "      - a\n"
        "      version: ~1.0.0\n"
        "    digest:"
    ) in text
    assert "    maintainers:\n    - email: t@example.com\n      name: Team 1\n" in text


def test_chart_header_quoting() -> None:
    assert render.yaml_chart_header("mychart") == b"  mychart:\n"
    assert render.yaml_chart_header("1.0") == b'  "1.0":\n'
    assert render.yaml_chart_header("a: b") == b"  'a: b':\n"


# -- chart-version record -------------------------------------------------------------------------
def test_record_key_order_and_omissions() -> None:
    rec = render.chart_version_record(
        {
            "type": "application",
            "dependencies": [{"name": "d"}],
            "annotations": {"b": "2", "a": "1"},
            "deprecated": True,
            "appVersion": "1.0",
            "tags": "",
            "keywords": [],
            "description": "",
            "version": "1.0.0",
            "name": "x",
            "maintainers": [{"name": "m", "email": ""}],
        },
        urls=["charts/x-1.0.0.tgz"],
        created=CREATED,
        digest=DIGEST,
    )
    assert list(rec) == [
        "name", "version", "maintainers", "apiVersion", "appVersion", "deprecated",
        "annotations", "dependencies", "type", "urls", "created", "digest",
    ]  # fmt: skip
    assert rec["apiVersion"] == "v1"
    assert rec["maintainers"] == [{"name": "m"}]
    assert rec["dependencies"] == [{"name": "d", "repository": ""}]
    assert list(rec["annotations"]) == ["a", "b"]
    assert "deprecated" not in record(deprecated=False)
    assert render.json_entry(record()) == (
        b'{"name":"demo","version":"1.0.0","apiVersion":"v1",'
        b'"urls":["charts/demo-1.0.0.tgz"],"created":"2024-05-01T10:00:00.123456789Z",'
        b'"digest":"' + DIGEST.encode() + b'"}'
    )


# -- (c) natural order ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("my_chart", "myChart"),
        ("chart2", "chart10"),
        ("chart9", "chart10"),
        ("a", "b"),
        ("B", "a"),
        ("a", "ab"),
        ("a-b", "a1"),
        ("a1", "aa"),
        ("a.b", "a_b"),
        ("x1", "x01"),
        ("x12y", "x100y"),
        ("annotations", "apiVersion"),
        ("kubeVersion", "maintainers"),
        ("keywords", "kubeVersion"),
    ],
)
def test_natural_order_pairs(smaller: str, larger: str) -> None:
    assert natural_order.natural_key(smaller) < natural_order.natural_key(larger)
    assert not natural_order.natural_key(larger) < natural_order.natural_key(smaller)


def test_natural_order_sorting() -> None:
    names = ["chart10", "myChart", "chart2", "my_chart", "Zeta", "alpha", "chart1", "a-b", "a.b"]
    assert sorted(names, key=natural_order.natural_key) == [
        "Zeta", "a-b", "a.b", "alpha", "chart1", "chart2", "chart10", "my_chart", "myChart",
    ]  # fmt: skip
    assert natural_order.natural_key("x") == natural_order.natural_key("x")
    assert (natural_order.natural_key("a"), "a") < (natural_order.natural_key("b"), "b")


def test_record_keys_sorted_naturally() -> None:
    rec = record(appVersion="1", annotations={"x": "y"}, type="application")
    keys = re.findall(r"^(?:  - |    )([A-Za-z]+):", render.yaml_entry(rec).decode(), re.M)
    assert keys == [
        "annotations", "apiVersion", "appVersion", "created", "digest", "name", "type", "urls",
        "version",
    ]  # fmt: skip


# -- (d) Go JSON ----------------------------------------------------------------------------------
def test_go_json_escaping() -> None:
    data = {"b": "<a href='x'>&</a>", "a": 'é日😀\u2028\u2029\x01\n\t"\\', "n": [1, True, None]}
    assert (
        json_encoding.go_json(data)
        == (
            '{"b":"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e",'
            '"a":"é日😀\\u2028\\u2029\\u0001\\n\\t\\"\\\\","n":[1,true,null]}'
        ).encode()
    )
    assert json_encoding.go_json({"saved": True}) == b'{"saved":true}'
    assert json_encoding.go_json("bad\ud800x") == '"bad\ufffdx"'.encode()


def test_json_index() -> None:
    body = render.render_json_index(
        [("a", [b'{"x":1}', b'{"x":2}']), ("b", [b"{}"])], generated=GENERATED, context_path=""
    )
    assert body == (
        b'{"apiVersion":"v1","generated":"2024-05-01T10:00:05Z",'
        b'"entries":{"a":[{"x":1},{"x":2}],"b":[{}]},"serverInfo":{}}'
    )
    empty = render.render_json_index([], generated=GENERATED, context_path="/cm")
    assert json.loads(empty) == {
        "apiVersion": "v1",
        "generated": GENERATED,
        "entries": {},
        "serverInfo": {"contextPath": "/cm"},
    }


# -- (e) time -------------------------------------------------------------------------------------
def test_format_time_utc() -> None:
    ts = 1714557600 * 10**9
    utc = datetime.UTC
    assert times.format_time(ts + 123456789, utc) == "2024-05-01T10:00:00.123456789Z"
    assert times.format_time(ts + 500_000_000, utc) == "2024-05-01T10:00:00.5Z"
    assert times.format_time(ts, utc) == "2024-05-01T10:00:00Z"
    assert times.format_time(-1, utc) == "1969-12-31T23:59:59.999999999Z"


def test_format_time_offset() -> None:
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    minus = datetime.timezone(-datetime.timedelta(hours=5, minutes=30))
    ts = 1714557605 * 10**9
    assert times.format_time(ts, plus2) == "2024-05-01T12:00:05+02:00"
    assert times.format_time(ts + 10, minus) == "2024-05-01T04:30:05.00000001-05:30"


@pytest.mark.parametrize(
    ("tz", "text"),
    [("UTC0", "2024-05-01T10:00:05.1Z"), ("XXX-2", "2024-05-01T12:00:05.1+02:00")],
)
def test_format_time_local_zone(tz: str, text: str) -> None:
    code = "from app.gocompat.times import format_time; print(format_time(1714557605100000000))"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == text


# -- speed ----------------------------------------------------------------------------------------
def test_yaml_entry_is_fast() -> None:
    rec = record(
        apiVersion="v2",
        description="chart00001 is a generated chart used to measure a chart repository at scale",
        type="application",
        appVersion="3.14.2",
        home="https://example.com/chart00001",
        icon="https://example.com/chart00001/icon.png",
        keywords=["chart00001", "generated", "bench"],
        sources=["https://github.com/example/chart00001"],
        maintainers=[{"name": "Team 7", "email": "team7@example.com"}],
        dependencies=[{"name": "dep0", "version": "~0.0.0", "repository": "https://c.example.com"}],
        annotations={"category": "Infrastructure"},
    )
    render.yaml_entry(rec)
    start = time.perf_counter()
    for _ in range(2000):
        render.yaml_entry(rec)
    assert (time.perf_counter() - start) / 2000 < 200e-6  # target ~20 µs; slack for slow CI


# -- (f) Helm's own strict parser -----------------------------------------------------------------
@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        os.environ.setdefault(var, str(tmp_path_factory.mktemp(var.lower())))
    import helm_python

    return helm_python


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No request logging in test output."""


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


HELM_SAFE = [
    "1.0", "1.10", "true", "yes", "no", "null", "~", "", "=", "<<", " lead", "a: b", "#x",
    "- x", "ünïcødé 😀", "it's", 'say "hi"', "0x1F", "1e3", "2024-01-01", CREATED,
    " ".join(["word"] * 40), "x" * 200,
]  # fmt: skip


def helm_entries() -> dict[str, list[dict[str, Any]]]:
    entries: dict[str, list[dict[str, Any]]] = {}
    for i, s in enumerate(HELM_SAFE):
        name = f"chart{i}"
        entries[name] = [
            render.chart_version_record(
                {
                    "apiVersion": "v2",
                    "name": name,
                    "version": f"1.{i}.0",
                    "appVersion": s,
                    "description": s,
                    "keywords": [s],
                    "annotations": {"k": s, s or "empty": "multi\nline " + s},
                },
                urls=[f"charts/{name}-1.{i}.0.tgz"],
                created=times.format_time(1714557600123456789 + i, datetime.UTC),
                digest=DIGEST,
            )
        ]
    return entries


def assert_helm_reads(parsed: dict[str, Any], entries: dict[str, list[dict[str, Any]]]) -> None:
    assert set(parsed["entries"]) == set(entries)
    for name, versions in entries.items():
        got, want = parsed["entries"][name][0], versions[0]
        for key in ("name", "version", "appVersion", "description", "keywords", "annotations"):
            assert got.get(key, "") == want.get(key, ""), (name, key)
        assert got["created"] == want["created"]
        assert got["urls"] == want["urls"]


def test_helm_parses_yaml_index(helm: Any, served: tuple[Path, str]) -> None:
    folder, url = served
    entries = helm_entries()
    (folder / "index.yaml").write_bytes(index_yaml(entries, "/cm"))
    assert_helm_reads(helm.repo_index(url), entries)


def test_helm_parses_json_index(helm: Any, served: tuple[Path, str]) -> None:
    folder, url = served
    entries = helm_entries()
    items = [(n, [render.json_entry(r) for r in entries[n]]) for n in sorted(entries)]
    body = render.render_json_index(items, generated=GENERATED, context_path="")
    (folder / "index.yaml").write_bytes(body)
    assert_helm_reads(helm.repo_index(url), entries)


def test_helm_parses_long_chart_name(helm: Any, served: tuple[Path, str]) -> None:
    folder, url = served
    name = "l" * 140
    rec = render.chart_version_record(
        {"name": name, "version": "1.0.0"}, urls=["charts/x.tgz"], created=CREATED, digest=DIGEST
    )
    (folder / "index.yaml").write_bytes(index_yaml({name: [rec], "short": [rec]}))
    parsed = helm.repo_index(url)
    assert parsed["entries"][name][0]["urls"] == ["charts/x.tgz"]
