"""Version constraints with the behaviour of Go's Masterminds/semver v3.4.0.

Helm and ChartMuseum resolve version ranges with ``semver.NewConstraint`` /
``Constraints.Check``, which :class:`Constraints` reproduces.  It supports ``||`` groups,
space/comma separated AND, ``= != > < >= => <= =< ~ ~> ^``, hyphen ranges,
``x``/``X``/``*`` wildcards and partial versions.  A prerelease version only satisfies an
AND group when one of the group's constraints names a prerelease (or ``include_prerelease``
is set).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.gocompat.semver import InvalidVersion
from app.gocompat.semver import Version
from app.gocompat.semver import _compare_prerelease

__all__ = [
    "MAX_CONSTRAINT_LENGTH",
    "ConstraintError",
    "Constraints",
]

_ERR_CONSTRAINT_PARSER = "constraint parser error"

# Go's RE2 ``\s`` is ASCII only and excludes \v; Python's ``\s`` is wider.
_WS = r"[\t\n\f\r ]"
# The constraint version pattern (cvRegex); the ``|`` inside the classes is literal.
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_CV_RE = re.compile(_CV)
_RANGE_RE = re.compile(rf"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
# Group 11 of _RANGE_RE is the second version (the first version has 10 groups).
_RANGE_UPPER_GROUP = 11

# Masterminds validates an AND group with validConstraintRegex
#   ^(\s*(ops)\s*(cv)\s*)((?:\s+|,\s*)(ops)\s*(cv)\s*)*$
# and splits it with findConstraintRegex.  RE2 runs those in linear time, but a
# backtracking engine is exponential on inputs such as "1          1          1 !".
# The patterns below accept exactly the same language, one item at a time, with
# atomic groups and possessive quantifiers: an operator is always the whole run of
# operator characters, a version always extends to the next whitespace, comma or
# end, so no other split could ever succeed.
_N = r"[0-9|xX*]"
_P = r"[0-9A-Za-z\-]"
_CV_ATOMIC = (
    rf"(?>v?{_N}++(?:\.{_N}++)?+(?:\.{_N}++)?+"
    rf"(?:-{_P}++(?:\.{_P}++)*+)?+(?:\+{_P}++(?:\.{_P}++)*+)?+)"
)
_OP_ATOMIC = r"(?>!=|>=|=>|<=|=<|~>|=|>|<|~|\^|)"
_ITEM = rf"({_OP_ATOMIC}){_WS}*+({_CV_ATOMIC})"
_FIRST_ITEM_RE = re.compile(rf"{_WS}*+{_ITEM}")
_NEXT_ITEM_RE = re.compile(rf"(?:{_WS}++(?:,{_WS}*+)?+|,{_WS}*+){_ITEM}")
_TRAILING_WS_RE = re.compile(rf"{_WS}*+")

# Masterminds v3.5.0 added this limit; v3.4.0 has none (see Constraints.parse).
MAX_CONSTRAINT_LENGTH = 512


class ConstraintError(ValueError):
    """Raised by :meth:`Constraints.parse`, e.g. ``"improper constraint: foo"``."""


@dataclass(frozen=True)
class _Constraint:
    """One comparison such as ``>=1.2`` (Masterminds' unexported ``constraint``)."""

    op: str
    con: Version
    orig: str
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


def _not_equal_dirty(v: Version, c: _Constraint) -> bool | None:
    """The wildcard branch of ``constraintNotEqual``; None means "fall through"."""
    con = c.con
    if con.major != v.major:
        return True
    if con.minor != v.minor and not c.minor_dirty:
        return True
    if c.minor_dirty:
        return False
    if con.patch != v.patch and not c.patch_dirty:
        return True
    if c.patch_dirty:
        if v.prerelease or con.prerelease:
            return _compare_prerelease(v.prerelease, con.prerelease) != 0
        return False
    return None


def _check_not_equal(v: Version, c: _Constraint) -> bool:
    if c.dirty:
        verdict = _not_equal_dirty(v, c)
        if verdict is not None:
            return verdict
    return v.compare(c.con) != 0


def _check_greater_than(v: Version, c: _Constraint) -> bool:
    con = c.con
    if not c.dirty:
        return v.compare(con) > 0
    if v.major != con.major:
        return v.major > con.major
    if c.minor_dirty:
        return False  # >11 is not satisfied by 11.1.0
    if c.patch_dirty:
        return v.minor > con.minor  # >11.1 needs 11.2 or higher
    return v.compare(con) > 0


def _check_less_than(v: Version, c: _Constraint) -> bool:
    return v.compare(c.con) < 0


def _check_greater_equal(v: Version, c: _Constraint) -> bool:
    return v.compare(c.con) >= 0


def _check_less_equal(v: Version, c: _Constraint) -> bool:
    con = c.con
    if not c.dirty:
        return v.compare(con) <= 0
    if v.major > con.major:
        return False
    return not (v.major == con.major and v.minor > con.minor and not c.minor_dirty)


def _check_tilde(v: Version, c: _Constraint) -> bool:
    con = c.con
    if v.compare(con) < 0:
        return False
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not (c.minor_dirty or c.patch_dirty):
        return True  # ~0.0.0 and ~* accept everything
    if v.major != con.major:
        return False
    return v.minor == con.minor or c.minor_dirty


def _check_tilde_or_equal(v: Version, c: _Constraint) -> bool:
    if c.dirty:
        return _check_tilde(v, c)
    return v.compare(c.con) == 0


def _check_caret(v: Version, c: _Constraint) -> bool:
    con = c.con
    if v.compare(con) < 0:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return v.patch == con.patch


_OPERATORS: dict[str, Callable[[Version, _Constraint], bool]] = {
    "": _check_tilde_or_equal,
    "=": _check_tilde_or_equal,
    "!=": _check_not_equal,
    ">": _check_greater_than,
    "<": _check_less_than,
    ">=": _check_greater_equal,
    "=>": _check_greater_equal,
    "<=": _check_less_equal,
    "=<": _check_less_equal,
    "~": _check_tilde,
    "~>": _check_tilde,
    "^": _check_caret,
}


def _rewrite_range(text: str) -> str:
    """Turn each hyphen range ``A - B`` into ``>= A, <= B`` (Masterminds ``rewriteRange``)."""
    result = text
    for m in _RANGE_RE.finditer(text):
        replacement = f">= {m.group(1)}, <= {m.group(_RANGE_UPPER_GROUP)} "
        result = result.replace(m.group(0), replacement, 1)
    return result


def _constraint_version_text(cv: str) -> tuple[str, bool, bool, bool]:
    """Version text a constraint compares against, plus its dirty/minor/patch flags."""
    m = _CV_RE.fullmatch(cv)
    if m is None:  # unreachable: the group scanner only yields valid versions
        raise ConstraintError(f"improper constraint: {cv}")
    major, minor, patch = m.group(1), m.group(2) or "", m.group(3) or ""
    prerelease = m.group(4) or ""
    if _is_x(major):
        return f"0.0.0{prerelease}", True, False, False
    if minor == "" or _is_x(minor[1:]):
        return f"{major}.0.0{prerelease}", True, True, False
    if patch == "" or _is_x(patch[1:]):
        return f"{major}{minor}.0{prerelease}", True, False, True
    return cv, False, False, False


def _parse_constraint(op: str, cv: str) -> _Constraint:
    """Build one operator/version pair (Masterminds ``parseConstraint``)."""
    version_text, dirty, minor_dirty, patch_dirty = _constraint_version_text(cv)
    try:
        con = Version.parse(version_text)
    except InvalidVersion:
        raise ConstraintError(_ERR_CONSTRAINT_PARSER) from None
    return _Constraint(
        op=op,
        con=con,
        orig=cv,
        dirty=dirty,
        minor_dirty=minor_dirty,
        patch_dirty=patch_dirty,
    )


def _split_group(segment: str) -> list[tuple[str, str]] | None:
    """The (operator, version) items of an AND group, or None if it is malformed."""
    m = _FIRST_ITEM_RE.match(segment)
    if m is None:
        return None
    items = [(m.group(1), m.group(2))]
    while (nxt := _NEXT_ITEM_RE.match(segment, m.end())) is not None:
        m = nxt
        items.append((m.group(1), m.group(2)))
    if _TRAILING_WS_RE.fullmatch(segment, m.end()) is None:
        return None
    return items


@dataclass(frozen=True)
class _Group:
    """AND-ed constraints; ``has_prerelease`` is Masterminds' ``containsPre`` entry."""

    constraints: tuple[_Constraint, ...]
    has_prerelease: bool

    def allows(self, v: Version, include_prerelease: bool) -> bool:
        """Masterminds' inner Check loop for one OR group."""
        if v.prerelease and not (include_prerelease or self.has_prerelease):
            return False
        return all(_OPERATORS[c.op](v, c) for c in self.constraints)

    def __str__(self) -> str:
        return " ".join(c.op + c.orig for c in self.constraints)


def _parse_group(segment: str) -> _Group:
    """Parse the AND-ed constraints between two ``||``."""
    items = _split_group(segment)
    if items is None:
        raise ConstraintError(f"improper constraint: {segment}")
    constraints = tuple(_parse_constraint(op, cv) for op, cv in items)
    return _Group(constraints, any(c.con.prerelease for c in constraints))


def _check_length(text: str) -> None:
    """Enforce :data:`MAX_CONSTRAINT_LENGTH` (counted in UTF-8 bytes, as Go does)."""
    too_long = len(text) > MAX_CONSTRAINT_LENGTH or (
        len(text.encode("utf-8", "surrogatepass")) > MAX_CONSTRAINT_LENGTH
    )
    if too_long:
        raise ConstraintError(f"constraint string is too long (max {MAX_CONSTRAINT_LENGTH} bytes)")


@dataclass(frozen=True)
class Constraints:
    """A parsed version range (Masterminds ``*semver.Constraints``).

    ``groups`` are OR-ed; the constraints inside a group are AND-ed.  A prerelease
    version only satisfies a group that names a prerelease itself, unless
    ``include_prerelease`` is set.
    """

    original: str
    groups: tuple[_Group, ...]
    include_prerelease: bool = False

    @classmethod
    def parse(cls, text: str, *, include_prerelease: bool = False) -> Constraints:
        """Parse ``text`` like Masterminds ``NewConstraint``; raise :class:`ConstraintError`.

        ``include_prerelease`` mirrors Masterminds' ``IncludePrerelease`` field.
        Unlike v3.4.0 (but like later Masterminds releases), text longer than
        :data:`MAX_CONSTRAINT_LENGTH` bytes is rejected, which bounds parsing time.
        """
        _check_length(text)
        segments = _rewrite_range(text).split("||")
        groups = tuple(_parse_group(segment) for segment in segments)
        return cls(original=text, groups=groups, include_prerelease=include_prerelease)

    def check(self, v: Version) -> bool:
        """Return True if ``v`` satisfies any OR group of these constraints."""
        return any(group.allows(v, self.include_prerelease) for group in self.groups)

    def __str__(self) -> str:
        """Masterminds' ``String()``: e.g. ``"1.0 - 2, !=1.5"`` gives ``">=1.0 <=2 !=1.5"``."""
        return " || ".join(str(group) for group in self.groups)
