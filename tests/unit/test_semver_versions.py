"""Tests for app.gocompat.semver: Masterminds/semver v3.4.0 version parsing and ordering.

Expected values come from Masterminds' own test tables where they exist, and from
reading its v3.4.0 source where they don't (the quirks are pinned on purpose).
"""

from __future__ import annotations

import itertools
import random

import pytest

from app.gocompat.semver import InvalidVersion
from app.gocompat.semver import Version
from app.gocompat.semver import sort_key_desc
from app.gocompat.semver import try_parse
from app.gocompat.semver_constraints import ConstraintError

# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", (1, 2, 3, "", "")),
        ("v1.2.3", (1, 2, 3, "", "")),
        ("1.2", (1, 2, 0, "", "")),
        ("v1.2", (1, 2, 0, "", "")),
        ("1", (1, 0, 0, "", "")),
        ("v1", (1, 0, 0, "", "")),
        ("0.0.0", (0, 0, 0, "", "")),
        ("01.2.3", (1, 2, 3, "", "")),
        ("1.02.003", (1, 2, 3, "", "")),
        ("1.0.0+build.1", (1, 0, 0, "", "build.1")),
        ("1.0.0+001", (1, 0, 0, "", "001")),
        ("1.0.0-alpha", (1, 0, 0, "alpha", "")),
        ("1.0.0-alpha.1", (1, 0, 0, "alpha.1", "")),
        ("1.0.0-0", (1, 0, 0, "0", "")),
        ("1.0.0-0a.01b", (1, 0, 0, "0a.01b", "")),
        ("1.0.0-x-y-z.--", (1, 0, 0, "x-y-z.--", "")),
        ("1.0.0-rc.1+build.5", (1, 0, 0, "rc.1", "build.5")),
        ("1.2-beta", (1, 2, 0, "beta", "")),
        ("1-beta+meta", (1, 0, 0, "beta", "meta")),
        ("1.2.3-beta-1", (1, 2, 3, "beta-1", "")),
        ("1.2.3+meta-data.x", (1, 2, 3, "", "meta-data.x")),
        ("18446744073709551615.0.0", (2**64 - 1, 0, 0, "", "")),
        ("1.2.3-18446744073709551616", (1, 2, 3, "18446744073709551616", "")),
    ],
)
def test_parse_valid(text: str, expected: tuple[int, int, int, str, str]) -> None:
    v = Version.parse(text)
    assert (v.major, v.minor, v.patch, v.prerelease, v.metadata) == expected
    assert v.original == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid semantic version"),
        ("x", "invalid semantic version"),
        ("1.x", "invalid semantic version"),
        ("V1.2.3", "invalid semantic version"),
        ("vv1.2.3", "invalid semantic version"),
        ("1.2.3.4", "invalid semantic version"),
        ("1.0.0-", "invalid semantic version"),
        ("1.0.0+", "invalid semantic version"),
        ("1.0.0-alpha..1", "invalid semantic version"),
        ("1.0.0-alpha_1", "invalid semantic version"),
        ("1.0.0+build+2", "invalid semantic version"),
        ("1..2", "invalid semantic version"),
        (".1.2", "invalid semantic version"),
        (" 1.2.3", "invalid semantic version"),
        ("1.2.3 ", "invalid semantic version"),
        ("1.2.3\n", "invalid semantic version"),
        ("\uff11.2.3", "invalid semantic version"),  # fullwidth digit one
        ("1.0.0-01", "version segment starts with 0"),
        ("1.0.0-alpha.00", "version segment starts with 0"),
        (
            "18446744073709551616.0.0",
            'error parsing version segment: strconv.ParseUint: parsing "18446744073709551616": '
            "value out of range",
        ),
        (
            "1.0.99999999999999999999999",
            'error parsing version segment: strconv.ParseUint: parsing "99999999999999999999999": '
            "value out of range",
        ),
    ],
)
def test_parse_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidVersion) as exc_info:
        Version.parse(text)
    assert str(exc_info.value) == message
    assert try_parse(text) is None


def test_parse_huge_numbers_do_not_hit_int_digit_limit() -> None:
    with pytest.raises(InvalidVersion, match="value out of range"):
        Version.parse("1" * 5000)
    assert Version.parse("0" * 5000 + "7").major == 7


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidVersion, ValueError)
    assert issubclass(ConstraintError, ValueError)


def test_try_parse_returns_version() -> None:
    assert try_parse("v1.2") == Version(1, 2, 0, "", "", "v1.2")


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("v1.2", "1.2.0"),
        ("01.02.03", "1.2.3"),
        ("1-rc.1+b.2", "1.0.0-rc.1+b.2"),
        ("1.2.3+meta", "1.2.3+meta"),
    ],
)
def test_str_is_normalised(text: str, normalised: str) -> None:
    assert str(Version.parse(text)) == normalised


# --------------------------------------------------------------------------- ordering

# SemVer 2.0.0 section 11 example, plus Masterminds-specific cases, in ascending order.
ASCENDING = [
    "0.0.0-0",
    "0.0.0",
    "0.9.9",
    "1.0.0-0",
    "1.0.0-9",
    "1.0.0-10",
    "1.0.0-18446744073709551615",
    "1.0.0-18446744073709551616",  # too big for uint64: compared as text, above numbers
    "1.0.0-A",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
    "10.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ASCENDING)))
def test_ordering_adjacent(lower: str, higher: str) -> None:
    a, b = Version.parse(lower), Version.parse(higher)
    assert a.compare(b) == -1
    assert b.compare(a) == 1
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a != b


def test_sorted_matches_ascending_table() -> None:
    shuffled = [Version.parse(t) for t in ASCENDING]
    random.Random(7).shuffle(shuffled)
    assert [v.original for v in sorted(shuffled)] == ASCENDING


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("1.0.0+a", "1.0.0+b"),
        ("1.0.0", "1.0.0+b"),
        ("v1.2", "1.2.0"),
        ("1", "1.0.0"),
        ("01.2.3", "1.2.3"),
        ("1.0.0-rc.1+x", "1.0.0-rc.1+y"),
    ],
)
def test_equal_ignores_metadata_and_spelling(left: str, right: str) -> None:
    a, b = Version.parse(left), Version.parse(right)
    assert a.compare(b) == 0
    assert a == b
    assert hash(a) == hash(b)
    assert a <= b
    assert a >= b
    assert not a < b
    assert len({a, b}) == 1


def test_comparison_with_other_types() -> None:
    v = Version.parse("1.0.0")
    assert v != "1.0.0"
    with pytest.raises(TypeError):
        _ = v < "1.0.0"


# --------------------------------------------------------------------------- sort_key_desc


def test_sort_key_desc_newest_first_invalid_last() -> None:
    texts = [
        "not-a-version",
        "1.0.0-beta",
        "0.1.0",
        "1.0.0",
        "latest",
        "2.0.0-rc.1",
        "1.10.0",
        "1.9.0",
        "v1.2",
        "",
        "1.0.0-beta.2",
    ]
    texts.sort(key=sort_key_desc)
    assert texts == [
        "2.0.0-rc.1",
        "1.10.0",
        "1.9.0",
        "v1.2",
        "1.0.0",
        "1.0.0-beta.2",
        "1.0.0-beta",
        "0.1.0",
        "not-a-version",
        "latest",
        "",
    ]


def test_sort_key_desc_is_stable_for_equal_versions() -> None:
    texts = ["1.0.0+b", "1.0.0", "1.0.0+a", "2"]
    texts.sort(key=sort_key_desc)
    assert texts == ["2", "1.0.0+b", "1.0.0", "1.0.0+a"]


def test_sort_key_desc_agrees_with_compare() -> None:
    rng = random.Random(11)
    parts = ["0", "1", "2", "10", "a", "b", "ab", "a-b", "-", "18446744073709551616"]
    texts = [
        f"{rng.randint(0, 2)}.{rng.randint(0, 2)}.{rng.randint(0, 2)}"
        + ("-" + ".".join(rng.choices(parts, k=rng.randint(1, 3))) if rng.random() < 0.7 else "")
        for _ in range(300)
    ]
    for a_text, b_text in zip(texts, reversed(texts), strict=True):
        expected = Version.parse(b_text).compare(Version.parse(a_text))  # descending
        ka, kb = sort_key_desc(a_text), sort_key_desc(b_text)
        assert (ka > kb) - (ka < kb) == expected, (a_text, b_text)
