"""Tests for app.gocompat.semver_constraints: Masterminds/semver v3.4.0 constraints.

Expected values come from Masterminds' own test tables where they exist, and from
reading its v3.4.0 source where they don't (the quirks are pinned on purpose).
"""

from __future__ import annotations

import random
import re
import time

import pytest

from app.gocompat.semver import Version
from app.gocompat.semver import sort_key_desc
from app.gocompat.semver import try_parse
from app.gocompat.semver_constraints import _CV
from app.gocompat.semver_constraints import MAX_CONSTRAINT_LENGTH
from app.gocompat.semver_constraints import ConstraintError
from app.gocompat.semver_constraints import Constraints
from app.gocompat.semver_constraints import _rewrite_range
from app.gocompat.semver_constraints import _split_group

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
    assert _rewrite_range(text) == rewritten


# --------------------------------------------------------------------------- fidelity

# Masterminds v3.4.0's own patterns, used here as the oracle for the group scanner.
_GO_WS = r"[\t\n\f\r ]"
_GO_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_GO_VALID = re.compile(
    rf"({_GO_WS}*({_GO_OPS}){_GO_WS}*({_CV}){_GO_WS}*)"
    rf"((?:{_GO_WS}+|,{_GO_WS}*)({_GO_OPS}){_GO_WS}*({_CV}){_GO_WS}*)*"
)
_GO_FIND = re.compile(rf"({_GO_OPS}){_GO_WS}*({_CV})")
_GO_CONSTRAINT = re.compile(rf"{_GO_WS}*({_GO_OPS}){_GO_WS}*({_CV}){_GO_WS}*")


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
        assert _split_group(segment) == expected, repr(segment)
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
