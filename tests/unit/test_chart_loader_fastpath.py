"""The fast path for simple YAML documents must agree exactly with the general path.

Differential tests: many generated chart files (simple ones, tricky scalars, and random
mutations of both) go through the fast reader and decoder and through the general
go-yaml compatible path; whenever the fast path accepts a document, the results must be
identical (types, key order and all), and it must refuse every document the general
path rejects.
"""

from __future__ import annotations

import gzip
import io
import math
import random
import tarfile
from typing import Any

import pytest

from app.charts import loader
from app.charts.loader import ChartInvalid
from app.charts.loader import load_chart
from app.charts.metadata import DEPENDENCY
from app.charts.metadata import LOCK
from app.charts.metadata import METADATA
from app.charts.metadata import VALUES
from app.gocompat import unmarshal
from app.gocompat.unmarshal import unmarshal_yaml
from app.gocompat.unmarshal import unmarshal_yaml_general
from app.gocompat.unmarshal_fast import decode_simple
from app.gocompat.unmarshal_types import UnmarshalError
from app.gocompat.yaml_read import YamlError
from app.gocompat.yaml_read import parse_first_document
from app.gocompat.yaml_read_fast import NotSimple
from app.gocompat.yaml_read_fast import parse_simple


def words(text: str) -> list[str]:
    return text.split()


TRICKY = [
    *words("y Y n N yes Yes YES no No NO on On ON off Off OFF true True TRUE false False FALSE"),
    *words("~ null Null NULL .nan .NaN .inf -.inf +.inf .Inf -.INF"),
    *words("0 1 -1 +1 012 08 09 0o17 0O17 0x1F 0X1f 0b101 0B2 1_000 _1 1__0 0x_1F"),
    *words("1.10 1.0 1. .5 -.5 +.5 1e3 1E3 1e+3 1e-3 1.5e3 1e400 -1e400 1e 1.2.3 1:30 1:30:00"),
    *words("9223372036854775807 9223372036854775808 -9223372036854775808 -9223372036854775809"),
    *words("18446744073709551615 18446744073709551616 123456789012345678901234567890"),
    *words("2020-01-01 2020-01-01T00:00:00Z 2001-12-14t21:59:43.10-05:00 2020-1-1"),
    *words("= << < > >= ~1.0 ^1.0.0 >=1.0,<2 v1 v1.2.3 1.2.3-rc.1+build.5 0.1.0 a,b a]b a}b"),
    *words("http://example.com:8080/x https://a.b/c?d=e&f=g#frag user@host a:b a::b a:"),
    *words("héllo 日本語 émoji-😀 naïve Ωmega a#b a'b a\"b a!b a&b a*b a|b a%b a`b a@b"),
    "a #comment",
    "a  #  comment: x",
    "a: b",
    "a :b",
    "- a",
    "-a",
    "--a",
    "?a",
    "? a",
    ":a",
    "&anchor value",
    "*alias",
    "!!str 1",
    "!!int 3",
    "!!bool yes",
    "!custom x",
    "|",
    "|-",
    ">",
    "[]",
    "{}",
    "[ ]",
    "[a, b]",
    "{a: b}",
    "[] # c",
    "{}#c",
    "'single'",
    "'it''s'",
    "''",
    "'a' # c",
    "'a'b",
    "'unterminated",
    '"double"',
    '""',
    '"a\\nb"',
    '"a\\"b"',
    '"a" # c',
    '"a"b',
    '"unterminated',
    '"y"',
    "'1.10'",
    '"~"',
    "#",
    "# only a comment",
    "two  spaces",
    "trailing   ",
    "a\tb",
    "%percent",
    "@at",
    "`tick",
    ",comma",
]
KEYS = [
    *words("name version apiVersion appVersion description home icon type kubeVersion"),
    *words("keywords sources maintainers dependencies annotations deprecated condition tags"),
    *words("email url repository alias enabled import-values digest generated"),
    *words("Name NAME VERSION ApiVersion Description Keywords Maintainers Annotations"),
    *words("unknown engine x a.b a/b _x x- 1abc artifacthub.io/changes category"),
]
ODD_KEYS = [
    *words("y n yes on off true null 1 1.5 0x1F 012 1e3 .5 .x"),
    *["na\u017fme", "Kubeversion", "-x", "a b", '"quoted"', "'q'", "<<", "? k", "~"],
]
NOISE = [*" -:#'\"\t[]{}&*!|>,?%@`\n\r\\", " #", ": ", "- ", "\u00a0", "\ufeff", "\x85"]


def _scalar(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.2:
        return rnd.choice(TRICKY)
    if roll < 0.9:
        word = "".join(rnd.choice("abcxyz0123456789.-_/") for _ in range(rnd.randint(1, 8)))
        return word if word[0] not in "-." else "w" + word
    value = rnd.choice(TRICKY)
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _comment(rnd: random.Random) -> str:
    return rnd.choice(["", "", "", " # note", "  #x: y", " #"])


def _mapping(rnd: random.Random, indent: int, depth: int, count: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(count):
        key = rnd.choice(KEYS if rnd.random() < 0.9 else ODD_KEYS)
        roll = rnd.random()
        if roll < 0.5 or depth > 3:
            lines.append(f"{pad}{key}: {_scalar(rnd)}{_comment(rnd)}")
        elif roll < 0.55:
            lines.append(f"{pad}{key}: {_scalar(rnd)}")
            lines += _continuation(rnd, indent)
        elif roll < 0.6:
            lines.append(f"{pad}{key}: {rnd.choice(BLOCK_HEADERS)}")
            lines += _block(rnd, indent)
        elif roll < 0.7:
            lines.append(f"{pad}{key}:{_comment(rnd)}")
            lines += _sequence(rnd, indent + rnd.choice([0, 0, 1, 2, 4]), depth + 1)
        elif roll < 0.9:
            lines.append(f"{pad}{key}:{_comment(rnd)}")
            lines += _mapping(rnd, indent + rnd.choice([1, 2, 4]), depth + 1, rnd.randint(1, 4))
        else:
            lines.append(f"{pad}{key}:{_comment(rnd)}")
    return lines


BLOCK_HEADERS = ["|", "|", "|-", "|-", "|+", ">", "|2", "| # c", "|  "]
ODD_LINES = ["", "", " ", "# c", "- x", "k: v", "a #b", "'q'", "[x]", "---", "a:", "\\"]


def _continuation(rnd: random.Random, indent: int) -> list[str]:
    """More lines of a plain scalar (multi-line text as go-yaml writes long strings)."""
    lines = []
    for _ in range(rnd.randint(1, 3)):
        if rnd.random() < 0.15:
            lines.append(rnd.choice(["", "", "  "]))
        words = " ".join(rnd.choice(["and", "more", "text,", "x1", "1.5", "y"]) for _ in range(3))
        text = words if rnd.random() < 0.8 else rnd.choice(ODD_LINES + TRICKY)
        lines.append(" " * (indent + rnd.choice([1, 2, 2, 4])) + text + rnd.choice(["", "", " "]))
    return lines


def _block(rnd: random.Random, indent: int) -> list[str]:
    """The lines of a literal block scalar, with blank and odd lines now and then."""
    lines = [""] * rnd.choice([0, 0, 0, 1])
    margin = " " * (indent + rnd.choice([1, 2, 2, 4]))
    for _ in range(rnd.randint(1, 5)):
        roll = rnd.random()
        if roll < 0.6:
            lines.append(margin + rnd.choice(["text", "- name: x", "  deeper", "# not a comment"]))
        elif roll < 0.85:
            lines.append(margin + rnd.choice(ODD_LINES))
        else:
            lines.append(rnd.choice(["", "", " " * rnd.randint(1, 6), margin[1:] + "less"]))
    return lines


def _sequence(rnd: random.Random, indent: int, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(rnd.randint(1, 4)):
        dash = "-" + " " * rnd.choice([1, 1, 1, 2, 3])
        if rnd.random() < 0.5:
            lines.append(f"{' ' * indent}{dash}{_scalar(rnd)}{_comment(rnd)}")
            if rnd.random() < 0.1:
                lines += _continuation(rnd, indent)
            continue
        inner = _mapping(rnd, indent + len(dash), depth + 1, rnd.randint(1, 4))
        inner[0] = " " * indent + dash + inner[0].lstrip(" ")
        lines += inner
    return lines


def _mutate(rnd: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rnd.randint(1, 3)):
        index = rnd.randrange(len(lines))
        line = lines[index]
        roll = rnd.random()
        if roll < 0.3:
            at = rnd.randint(0, len(line))
            lines[index] = line[:at] + rnd.choice(NOISE) + line[at:]
        elif roll < 0.45 and line:
            at = rnd.randrange(len(line))
            lines[index] = line[:at] + line[at + 1 :]
        elif roll < 0.6:
            lines[index] = " " * rnd.randint(1, 3) + line
        elif roll < 0.7:
            lines[index] = line.lstrip(" ")
        elif roll < 0.8:
            lines.insert(index, rnd.choice(["", "  ", "# c", "   # c", "---", "...", "  more"]))
        elif roll < 0.9:
            lines.insert(index, line)
        else:
            lines[index] = line + rnd.choice(["  ", " # c", ":", " x", "\t"])
    return "\n".join(lines)


def generate(rnd: random.Random) -> bytes:
    """A random chart file: simple, with tricky scalars, or a mutation of one."""
    lines = _mapping(rnd, 0, 0, rnd.randint(1, 8))
    roll = rnd.random()
    if roll < 0.1:
        lines.insert(0, rnd.choice(["---", "--- # c", "# head", "", "%YAML 1.1\n---"]))
    elif roll < 0.15:
        lines.append(rnd.choice(["---", "...", "---\nname: second", "--- x"]))
    for _ in range(rnd.randint(0, 3)):
        lines.insert(rnd.randint(0, len(lines)), rnd.choice(["", "# c", "    # deep", "  "]))
    text = "\n".join(lines) + rnd.choice(["\n", "", "\n\n"])
    if rnd.random() < 0.35:
        text = _mutate(rnd, text)
    return text.encode("utf-8", "surrogatepass")


def same(left: Any, right: Any) -> bool:
    """Equal, with equal types and key order (and NaN equal to NaN)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return bool(left == right)


def _general_parse(data: bytes) -> tuple[bool, Any]:
    try:
        return True, parse_first_document(data)
    except YamlError as exc:
        return False, str(exc)


def _general_unmarshal(data: bytes, target: Any, existing: Any) -> tuple[bool, Any]:
    try:
        return True, unmarshal_yaml_general(data, target, existing)
    except UnmarshalError as exc:
        return False, str(exc)


EXISTING = {"name": "old", "keywords": ["k"], "maintainers": [{"name": "m"}], "deprecated": True}
TARGETS = [(METADATA, {}), (METADATA, EXISTING), (VALUES, {}), (LOCK, None), (DEPENDENCY, {})]


def check(data: bytes) -> bool:
    """Compare both paths on ``data``; True if the fast reader accepted it."""
    try:
        fast = parse_simple(data)
    except NotSimple:
        return False
    ok, general = _general_parse(data)
    assert ok, (data, general)
    assert same(fast, general), (data, fast, general)
    for target, existing in TARGETS:
        ok, expected = _general_unmarshal(data, target, existing)
        try:
            got = decode_simple(fast, target, existing)
        except NotSimple:
            continue
        assert ok, (data, target.go_name, expected, got)
        assert same(got, expected), (data, target.go_name, got, expected)
        assert same(unmarshal_yaml(data, target, existing), expected)
    return True


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_agrees_with_general_path_on_generated_documents(seed: int) -> None:
    rnd = random.Random(seed)
    accepted = sum(check(generate(rnd)) for _ in range(1500))
    assert accepted > 200  # the comparison must not be vacuous


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("template", ["k: {}\n", "k:\n  - {}\n", "k:\n- x: {}\n", "{}: v\n"])
def test_tricky_scalars(template: str, value: str) -> None:
    check(("name: x\n" + template.format(value)).encode())


SIMPLE_DOCUMENTS = [
    b"apiVersion: v2\nname: c\nversion: 1.0.0\n",
    b"---\nname: c\nversion: 1.0.0\n",
    b"# c\nname: c # n\nkeywords:\n- a\n- 'b'\nmaintainers:\n  - name: m\n    email: \"e\"\n",
    b"name: c\ndependencies:\n  -   name: d\n      tags:\n      - t\n      import-values: []\n",
    b"annotations:\n  category: Infra\n  artifacthub.io/license: Apache-2.0\nname: c\n",
    b"name: c\ntags: {}\nkeywords: []\nsources:\n",
    "name: ünïcødé\ndescription: 日本語 😀\n".encode(),
    b"description: |\n  text\n",
    b"description: first\n  second\n\n  third\nname: c\n",
    b"annotations:\n  images: |\n    - name: a\n\n    # b\n  licenses: MIT\nname: c\n",
    b"keywords:\n- a long\n  keyword\nname: c\ndescription: |-\n  x\n\n",
]
NOT_SIMPLE_DOCUMENTS = [
    b"",
    b"# only a comment\n",
    b"name: c\n---\nname: d\n",
    b"name: &a c\nversion: *a\n",
    b"name: !!str 1\n",
    b"<<: {name: c}\n",
    b"name: [c]\n",
    b"description: 'first\n  second'\n",
    b"description: first # c\n  second\n",
    b"description: first\n  # c\n  second\n",
    b"description: |+\n  text\n",
    b"description: |\n   text\n  more\n",
    b"description: |\n  text\n  \n",
    b"name: c\r\nversion: 1\r\n",
    b"name:\tc\n",
    b"\xef\xbb\xbfname: c\n",
    b"name: \xff\n",
    b"- a\n- b\n",
    b"plain",
    b"  name: c\n",
    b'name: "a\\tb"\n',
    b"? name\n: c\n",
    b"1: one\n",
    b"name: a: b\n",
]


@pytest.mark.parametrize("data", SIMPLE_DOCUMENTS)
def test_simple_documents_take_the_fast_path(data: bytes) -> None:
    assert check(data)


@pytest.mark.parametrize("data", NOT_SIMPLE_DOCUMENTS)
def test_other_documents_take_the_general_path(data: bytes) -> None:
    assert not check(data)


def _package(chart_yaml: bytes) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in (("Chart.yaml", chart_yaml), ("values.yaml", chart_yaml)):
            info = tarfile.TarInfo(f"c/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue())


def _load(data: bytes, metadata_only: bool) -> tuple[bool, Any]:
    try:
        return True, load_chart(data, metadata_only=metadata_only)
    except ChartInvalid as exc:
        return False, str(exc)


def test_load_chart_is_the_same_with_and_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rnd = random.Random(99)
    prefix = "apiVersion: v2\nname: c\nversion: 1.0.0\n"
    packages = [_package(prefix.encode() + generate(rnd)) for _ in range(400)]
    for index in range(len(packages) // 4):
        packages[index] = _package(generate(rnd))
    fast = [_load(data, meta) for data in packages for meta in (True, False)]

    def refuse(data: bytes) -> Any:
        raise NotSimple

    monkeypatch.setattr(unmarshal, "parse_simple", refuse)
    general = [_load(data, meta) for data in packages for meta in (True, False)]
    assert loader.load_chart is load_chart
    assert sum(ok for ok, _ in fast) > 100
    for (fast_ok, fast_result), (ok, result) in zip(fast, general, strict=True):
        assert fast_ok == ok
        if ok:
            assert same(fast_result.metadata, result.metadata)
            assert same(fast_result.values, result.values)
            assert fast_result == result
        else:
            assert fast_result == result
