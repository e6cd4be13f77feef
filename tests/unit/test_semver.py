"""Tests for app.semver: Masterminds/semver v3.4.0 parsing, ordering and constraints.

Expected values come from Masterminds' own test tables where they exist, and from
reading its v3.4.0 source where they don't (the quirks are pinned on purpose).
"""

from __future__ import annotations

import itertools
import random
import re
import time

import pytest

from app import semver
from app.semver import MAX_CONSTRAINT_LENGTH
from app.semver import ConstraintError
from app.semver import Constraints
from app.semver import InvalidVersion
from app.semver import Version
from app.semver import sort_key_desc
from app.semver import try_parse

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


# --------------------------------------------------------------------------- constraints


def _check(constraint: str, version: str, include_prerelease: bool = False) -> bool:
    parsed = Constraints.parse(constraint, include_prerelease=include_prerelease)
    return parsed.check(Version.parse(version))


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # = and no operator; partial versions mean x-ranges
        ("=2.0.0", "1.2.3", False),
        ("=2.0.0", "2.0.0", True),
        ("2.0.0", "2.0.0+build", True),
        ("= 2.0", "2.0.0", True),
        ("=2.0", "2.0.1", True),
        ("=2.0", "2.1.0", False),
        ("1.2", "1.2.9", True),
        ("1.2", "1.3.0", False),
        ("1.2", "1.1.9", False),
        ("2", "2.9.9", True),
        ("2", "3.4.5", False),
        ("v1.2.3", "1.2.3", True),
        ("=0", "1", False),
        # !=
        ("!=4.1.0", "4.1.0", False),
        ("!=4.1.0", "4.1.1", True),
        ("!=4.1", "4.1.0", False),
        ("!=4.1", "4.1.1", False),
        ("!=4.1", "5.1.0", True),
        ("!=4.x", "4.1.0", False),
        ("!=4.x", "5.1.0", True),
        ("!=4.1.x", "4.2.0", True),
        ("!=4.2.x", "4.2.3", False),
        ("!=4.1-alpha", "4.1.0", True),
        ("!=4.1-alpha", "4.1.0-alpha", False),
        ("!=4.1-alpha", "4.1.1-alpha", False),
        ("!=4.1-alpha", "4.1.0-beta", True),
        ("!=*", "0.0.0", False),
        ("!=*", "0.0.1", True),
        # >
        (">1.1", "4.1.0", True),
        (">1.1", "1.1.0", False),
        (">1.1", "1.1.9", False),
        (">11", "11.1.0", False),
        (">11", "12.0.0", True),
        (">11.1", "11.2.1", True),
        (">1.2.3", "1.2.4", True),
        (">1.2.3", "1.2.3", False),
        (">0", "0", False),
        (">0", "1", True),
        (">*", "0.0.0", False),
        (">*", "0.0.1", True),
        # <
        ("<1.1", "0.1.0", True),
        ("<1.1", "1.1.0", False),
        ("<1.1", "1.1.1", False),
        ("<11", "0.1.0", True),
        ("<1.x", "0.1.1", True),
        ("<1.x", "1.1.1", False),
        ("<1.1.x", "1.0.500", True),
        ("<1.1.x", "1.1.500", False),
        # >= and =>
        (">=1.1", "1.1.0", True),
        (">=1.1", "0.0.9", False),
        ("=>1.1", "1.1.0", True),
        ("=>1.1", "1.0.9", False),
        (">= 11", "11.1.2", True),
        (">=0", "0", True),
        # <= and =<
        ("<=1.1", "1.1.1", True),
        ("<=1.1", "1.2.0", False),
        ("=<1.1", "1.1.9", True),
        ("=<1.1", "1.2.0", False),
        ("<=11", "11.2.3", True),
        ("<=11", "12.2.3", False),
        ("<=1.x", "1.9.0", True),
        ("<=2.x", "3.0.0", False),
        ("<=1.1.x", "1.2.500", False),
        ("<=1.2.3", "1.2.3", True),
        ("<=1.2.3", "1.2.4", False),
        # wildcards
        ("*", "1", True),
        ("*", "4.5.6", True),
        ("x", "0.0.0", True),
        ("X", "9.9.9", True),
        ("2.*", "2.1.1", True),
        ("2.*", "3.4.5", False),
        ("2.1.*", "2.1.1", True),
        ("2.1.*", "2.2.1", False),
        ("1.x", "1.4", True),
        ("1.X.x", "1.4.2", True),
        ("1.x.3", "1.0.0", True),
        ("x.2.3", "7.0.0", True),
        ("0.x.x", "1.2.3", False),
        ("0.0.x", "1.2.3", False),
        ("0.0.0", "1.2.3", False),
        # ~ and ~>
        ("~1.2.3", "1.2.4", True),
        ("~1.2.3", "1.2.2", False),
        ("~1.2.3", "1.3.0", False),
        ("~1.2", "1.2.4", True),
        ("~1.2", "1.3.4", False),
        ("~1", "1.9.9", True),
        ("~1", "2.0.0", False),
        ("~1.x", "1.3.5", True),
        ("~1.x", "2.1.1", False),
        ("~>1.2.3", "1.2.9", True),
        ("~>1.2.3", "1.3.0", False),
        ("~0.2.3", "0.2.5", True),
        ("~0.2.3", "0.3.5", False),
        ("~0", "0.9.9", True),
        ("~0", "1.0.0", False),
        ("~0.0.0", "1.2.3", True),
        ("~*", "2.1.1", True),
        # ^
        ("^1.2.3", "1.8.9", True),
        ("^1.2.3", "2.0.0", False),
        ("^1.2.3", "1.2.1", False),
        ("^1.2", "1.2.0", True),
        ("^1.2", "1.9.9", True),
        ("^1.2", "1.1.9", False),
        ("^1", "1.8.9", True),
        ("^1", "2.8.9", False),
        ("^1.x", "1.1.1", True),
        ("^1.x", "2.1.1", False),
        ("^2.x", "1.1.1", False),
        ("^0.2.3", "0.2.5", True),
        ("^0.2.3", "0.2.2", False),
        ("^0.2.3", "0.3.0", False),
        ("^0.2", "0.2.5", True),
        ("^0.2", "0.5.6", False),
        ("^0.0.3", "0.0.3", True),
        ("^0.0.3", "0.0.4", False),
        ("^0.0", "0.0.3", True),
        ("^0.0", "0.1.4", False),
        ("^0.0.x", "0.0.9", True),
        ("^0.0.x", "0.1.0", False),
        ("^0", "0.2.3", True),
        ("^0", "1.1.4", False),
        ("^0.x", "0.9.9", True),
        ("^0.x", "1.0.0", False),
        ("^0.0.0", "0.0.0", True),
        ("^0.0.0", "0.0.1", False),
        ("^0.0.0", "1.2.3", False),
        # Masterminds quirk: "^*" is parsed as ^0.0.0 and only admits 0.0.0.
        ("^*", "0.0.0", True),
        ("^*", "0.0.1", False),
        ("^*", "1.0.0", False),
    ],
)
def test_operators(constraint: str, version: str, expected: bool) -> None:
    assert _check(constraint, version) is expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # AND by spaces
        (">1.1 <2", "1.2.1", True),
        (">1.1 <2", "1.1.1", False),
        (">1.1    <3", "4.3.2", False),
        (">= 1.0 < 2.0", "1.9.9", True),
        (">= 1.0 < 2.0", "2.0.0", False),
        (">=1.1    <2    !=1.2.3", "1.2.3", False),
        (">= 1.1 <2 != 1.2.3", "1.2.4", True),
        # AND by commas
        (">1.1, <2", "1.2.1", True),
        (">1.1, <3", "4.3.2", False),
        (">=1.1, <2, !=1.2.3", "1.2.3", False),
        (">   1.1, <2", "1.2.1", True),
        ("> 1 , <=1.2.3", "1.2.3", False),
        ("> 0 , <=1.2.3", "1.2.3", True),
        # OR
        (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", True),
        (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", False),
        (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", True),
        (">=1.1 <2 !=1.2.3 || > 3", "1.2.4", True),
        ("1.x || >=2.5.0 || 5.0.0 - 7.2.3", "6.0.0", True),
        ("1.x || >=2.5.0 || 5.0.0 - 7.2.3", "2.4.9", False),
        ("^1.2||^2.0", "2.3.0", True),
        # hyphen ranges
        ("1.2 - 1.4.5", "1.2.0", True),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("1.2 - 1.4.5", "1.1.9", False),
        ("1.1 - 2", "1.1.1", True),
        ("1.1 - 2", "2.9.9", True),
        ("1.1 - 2", "3.0.0", False),
        ("1.5.0 - 4.5", "3.7.0", True),
        ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", True),
        ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", True),
        ("1.0.0 - 2.0.0, <1.5", "1.5.0", False),
        # "1.1-3" is 1.1 with prerelease 3, not a range
        ("1.1-3", "4.3.2", False),
        ("1.1-3", "1.1.0", True),
    ],
)
def test_combinations(constraint: str, version: str, expected: bool) -> None:
    assert _check(constraint, version) is expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # a prerelease only matches when the constraint's group names a prerelease
        ("*", "1.2.3-alpha.1", False),
        ("*-0", "1.2.3-alpha.1", True),
        (">=1.1", "4.1.0-beta", False),
        ("<=1.1", "0.1.0-alpha", False),
        ("<=1.1-a", "0.1.0-alpha", True),
        ("^1.2.0", "1.2.1-alpha.1", False),
        ("^1.2.0-alpha.0", "1.2.1-alpha.1", True),
        ("^1.2.0-alpha.2", "1.2.0-alpha.1", False),
        ("^1.1.2-alpha", "1.2.1-beta1", True),
        ("^1.2.x-alpha", "1.1.1-beta1", False),
        ("^1.x", "1.1.1-beta1", False),
        ("~1.1", "1.1.1-alpha", False),
        ("~1.1-alpha", "1.1.1-beta", True),
        ("~1.1.1-beta", "1.1.1-alpha", False),
        ("~1.1.1-beta", "1.1.1", True),
        ("~1.2.3-beta.2", "1.2.4-beta.2", True),
        ("~1.2.3-beta.2", "1.3.4-beta.2", False),
        ("^0.2.3-beta.2", "0.2.3-beta.4", True),
        ("^0.2.3-beta.2", "0.3.4-beta.2", False),
        (">0", "0.0.1-alpha", False),
        (">0-0", "0.0.1-alpha", False),
        (">0.0.0-0", "0.0.0-alpha", True),
        (">=0-0", "0.0.1-alpha", True),
        (">=0.0.0-0", "3.4.5-beta.1", True),
        ("<0-z", "0.0.0-alpha", True),
        ("<0", "0.0.0-alpha", False),
        (">1.2.3-alpha.1", "1.3.3-alpha.2", True),
        ("!=4.1", "5.1.0-alpha.1", False),
        # v3.4.0: one prerelease in an AND group opens the whole group to prereleases
        (">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", True),
        (">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", True),
        (">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", False),
        # ... but not the other OR groups
        (">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", False),
        (">3 || >= 1.0.0-0", "3.0.1-beta", True),
    ],
)
def test_prereleases(constraint: str, version: str, expected: bool) -> None:
    assert _check(constraint, version) is expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">=1.1", "4.1.0-beta", True),
        (">1.1", "4.1.0-beta", True),
        ("<=1.1", "0.1.0-alpha", True),
        ("<1.1", "0.1.0-alpha", True),
        ("^1.x", "1.1.1-beta1", True),
        ("~1.1", "1.1.1-alpha", True),
        ("*", "1.2.3-alpha", True),
        ("= 2.0", "2.0.1-beta", True),
        ("> 1.2.3", "1.2.3-beta.1", False),
        ("<= 1.2.3", "1.2.4-beta.1", False),
        ("^1.1.1-beta", "1.1.1-alpha", False),
    ],
)
def test_include_prerelease(constraint: str, version: str, expected: bool) -> None:
    assert _check(constraint, version, include_prerelease=True) is expected


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ("", "improper constraint: "),
        ("foo", "improper constraint: foo"),
        (">= bar", "improper constraint: >= bar"),
        ("BAR >= 1.2.3", "improper constraint: BAR >= 1.2.3"),
        ("latest", "improper constraint: latest"),
        ("12.3.4.1234", "improper constraint: 12.3.4.1234"),
        ("12.3.34~ 1.2.3", "improper constraint: 12.3.34~ 1.2.3"),
        (">>1", "improper constraint: >>1"),
        ("1.2,", "improper constraint: 1.2,"),
        ("1.2,,1.3", "improper constraint: 1.2,,1.3"),
        ("1.2\v", "improper constraint: 1.2\v"),
        ("1.2 ||", "improper constraint: "),
        ("1 || foo", "improper constraint:  foo"),
        ("1 - 2 - 3", "improper constraint: >= 1, <= 2 - 3"),
        # the message shows the segment after hyphen-range rewriting
        (">1.2 - 1.4.5", "improper constraint: >>= 1.2, <= 1.4.5 "),
        # well-formed but not a version: Masterminds' internal "parser error"
        ("1|2.3", "constraint parser error"),
        ("1.x2", "constraint parser error"),
        ("1.2.3-01", "constraint parser error"),
        ("18446744073709551616", "constraint parser error"),
        (
            "1" * (MAX_CONSTRAINT_LENGTH + 1),
            f"constraint string is too long (max {MAX_CONSTRAINT_LENGTH} bytes)",
        ),
        (
            "é" * (MAX_CONSTRAINT_LENGTH // 2 + 1),
            f"constraint string is too long (max {MAX_CONSTRAINT_LENGTH} bytes)",
        ),
    ],
)
def test_constraint_errors(constraint: str, message: str) -> None:
    with pytest.raises(ConstraintError) as exc_info:
        Constraints.parse(constraint)
    assert str(exc_info.value) == message


@pytest.mark.parametrize(
    "constraint",
    [
        ">= 1.1",
        ">40.50.60, < 50.70",
        "v2.3.5-20161202202307-sha.e8fc5e5",
        "12.3.34 ~1.2.3",
        "\t>=1.0\n<2 ",
        "1 " * (MAX_CONSTRAINT_LENGTH // 2),
    ],
)
def test_constraint_accepted(constraint: str) -> None:
    Constraints.parse(constraint)


@pytest.mark.parametrize(
    ("constraint", "text"),
    [
        ("*", "*"),
        (">= 1.2.3", ">=1.2.3"),
        ("2.x,   >=1.2.3 || >4.5.6, < 5.7", "2.x >=1.2.3 || >4.5.6 <5.7"),
        ("> 1 , <=1.2.3", ">1 <=1.2.3"),
        ("1.0.0 - 2.0.0, <=2.0.0", ">=1.0.0 <=2.0.0 <=2.0.0"),
    ],
)
def test_constraints_str(constraint: str, text: str) -> None:
    assert str(Constraints.parse(constraint)) == text
    Constraints.parse(text)


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("2 - 3", ">= 2, <= 3 "),
        ("2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "),
        ("2 - 3, 4.0.0 - 5.1", ">= 2, <= 3 ,>= 4.0.0, <= 5.1 "),
        ("2 - 3 4.0.0 - 5.1", ">= 2, <= 3 >= 4.0.0, <= 5.1 "),
        ("1.0.0 - 2.0.0 <=2.0.0", ">= 1.0.0, <= 2.0.0 <=2.0.0"),
        ("1.2.3.4 - 5", "1.>= 2.3.4, <= 5 "),
        ("1-2", "1-2"),
    ],
)
def test_rewrite_range(text: str, rewritten: str) -> None:
    assert semver._rewrite_range(text) == rewritten


# --------------------------------------------------------------------------- fidelity

# Masterminds v3.4.0's own patterns, used here as the oracle for the group scanner.
_GO_WS = r"[\t\n\f\r ]"
_GO_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_GO_VALID = re.compile(
    rf"({_GO_WS}*({_GO_OPS}){_GO_WS}*({semver._CV}){_GO_WS}*)"
    rf"((?:{_GO_WS}+|,{_GO_WS}*)({_GO_OPS}){_GO_WS}*({semver._CV}){_GO_WS}*)*"
)
_GO_FIND = re.compile(rf"({_GO_OPS}){_GO_WS}*({semver._CV})")
_GO_CONSTRAINT = re.compile(rf"{_GO_WS}*({_GO_OPS}){_GO_WS}*({semver._CV}){_GO_WS}*")


def _reference_split(segment: str) -> list[tuple[str, str]] | None:
    if _GO_VALID.fullmatch(segment) is None:
        return None
    pieces = [_GO_CONSTRAINT.fullmatch(m.group(0)) for m in _GO_FIND.finditer(segment)]
    return [(m.group(1), m.group(2)) for m in pieces if m is not None]


def test_group_scanner_matches_masterminds_regexes() -> None:
    alphabet = [*"0123456789xX*|v.-+,=!<>~^ \t\va", "1.2", "1.2.3", " - ", ">=", "  "]
    rng = random.Random(3)
    accepted = 0
    for _ in range(20000):
        segment = "".join(rng.choices(alphabet, k=rng.randint(0, 10)))
        expected = _reference_split(segment)
        assert semver._split_group(segment) == expected, repr(segment)
        accepted += expected is not None
    assert accepted > 1000


@pytest.mark.parametrize(
    "constraint",
    [
        ("1" + " " * 10) * 46 + "!",
        "1" * 511 + "!",
        " " * 510 + "1!",
        "1-" * 255 + "!",
        "x" * 511 + "!",
        "1" + " " * 500 + ",1!",
    ],
)
def test_pathological_constraints_are_fast(constraint: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ConstraintError):
        Constraints.parse(constraint)
    assert time.perf_counter() - start < 0.5


# --------------------------------------------------------------------------- lookup use


def _first_match(constraint: str, versions: list[str]) -> str | None:
    parsed = Constraints.parse(constraint)
    ordered = sorted(versions, key=sort_key_desc)
    for text in ordered:
        version = try_parse(text)
        if version is not None and parsed.check(version):
            return text
    return None


CHART_VERSIONS = [
    "0.9.0",
    "1.0.0",
    "1.2.0",
    "1.2.3",
    "1.2.4",
    "1.3.0-rc.1",
    "1.3.0",
    "1.10.0",
    "2.0.0-beta.1",
    "garbage",
]


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("*", "1.10.0"),
        ("^1.2", "1.10.0"),
        ("~1.2.3", "1.2.4"),
        ("1.x", "1.10.0"),
        (">=1.0 <1.3", "1.2.4"),
        ("1.2", "1.2.4"),
        ("1.2.3", "1.2.3"),
        ("^0.9", "0.9.0"),
        (">=2.0.0-0", "2.0.0-beta.1"),
        ("~1.3.0-0", "1.3.0"),
        ("^3", None),
    ],
)
def test_chart_version_lookup(constraint: str, expected: str | None) -> None:
    assert _first_match(constraint, CHART_VERSIONS) == expected
