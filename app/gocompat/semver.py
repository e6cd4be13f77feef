"""Semantic versions with the behaviour of Go's Masterminds/semver v3.4.0.

Helm and ChartMuseum parse chart versions with ``semver.NewVersion`` (the lenient,
coercing parser); this module reproduces it, its ordering (``Version.Compare``) and gives
the newest-first sort key.  Constraints live in :mod:`app.gocompat.semver_constraints`.

* :meth:`Version.parse` accepts an optional leading ``v``, one to three numeric
  parts (missing ones are 0, leading zeros allowed), a dot separated prerelease
  whose purely numeric identifiers must not have leading zeros, and build metadata.
* Ordering follows ``Version.Compare``: metadata is ignored, a prerelease sorts
  before its release, prerelease identifiers compare per SemVer 2.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = [
    "InvalidVersion",
    "Version",
    "sort_key_desc",
    "try_parse",
]

_UINT64_MAX = 2**64 - 1
_UINT64_MAX_DIGITS = len(str(_UINT64_MAX))

_ERR_INVALID_SEMVER = "invalid semantic version"
_ERR_SEGMENT_STARTS_ZERO = "version segment starts with 0"

# Masterminds' looseSemVerRegex, used by NewVersion while CoerceNewVersion is true.
_VERSION_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)


class InvalidVersion(ValueError):
    """Raised by :meth:`Version.parse` for text that is not a (lenient) semantic version.

    The message is Masterminds' error text, e.g. ``"invalid semantic version"`` or
    ``"version segment starts with 0"``.
    """


def _to_uint64(digits: str) -> int | None:
    """Value of an ASCII digit string as Go's ``strconv.ParseUint(s, 10, 64)``, else None."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    significant = digits.lstrip("0")
    if len(significant) > _UINT64_MAX_DIGITS:
        return None
    value = int(significant or "0")
    return value if value <= _UINT64_MAX else None


def _parse_segment(digits: str) -> int:
    """Parse a major/minor/patch segment, raising Masterminds' overflow error."""
    value = _to_uint64(digits)
    if value is None:
        raise InvalidVersion(
            "error parsing version segment: strconv.ParseUint: "
            f'parsing "{digits}": value out of range'
        )
    return value


def _validate_prerelease(prerelease: str) -> None:
    """Reject purely numeric prerelease identifiers with leading zeros."""
    for part in prerelease.split("."):
        if len(part) > 1 and part.isdigit() and part[0] == "0":
            raise InvalidVersion(_ERR_SEGMENT_STARTS_ZERO)


def _build_version(text: str) -> Version:
    """Masterminds' ``coerceNewVersion``: parse ``text`` or raise :class:`InvalidVersion`."""
    m = _VERSION_RE.fullmatch(text)
    if m is None:
        raise InvalidVersion(_ERR_INVALID_SEMVER)
    minor, patch = m.group(2), m.group(3)
    version = Version(
        major=_parse_segment(m.group(1)),
        minor=_parse_segment(minor[1:]) if minor else 0,
        patch=_parse_segment(patch[1:]) if patch else 0,
        prerelease=m.group(5) or "",
        metadata=m.group(8) or "",
        original=text,
    )
    _validate_prerelease(version.prerelease)
    return version


@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> Version | str:
    """Parse ``text``; return the version or the error message (exceptions aren't cached)."""
    try:
        return _build_version(text)
    except InvalidVersion as exc:
        return str(exc)


def _compare_pre_part(s: str, o: str) -> int:
    """Masterminds' ``comparePrePart`` for one prerelease identifier."""
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    si, oi = _to_uint64(s), _to_uint64(o)
    if si is None and oi is None:
        return 1 if s > o else -1
    if oi is None:
        return -1  # s is numeric, o alphanumeric: numbers sort first
    if si is None:
        return 1
    return 1 if si > oi else -1


def _compare_prerelease(s: str, o: str) -> int:
    """Masterminds' ``comparePrerelease``: identifier-wise, missing ones sort first."""
    sparts, oparts = s.split("."), o.split(".")
    for i in range(max(len(sparts), len(oparts))):
        spart = sparts[i] if i < len(sparts) else ""
        opart = oparts[i] if i < len(oparts) else ""
        d = _compare_pre_part(spart, opart)
        if d:
            return d
    return 0


@dataclass(frozen=True, eq=False)
class Version:
    """A parsed semantic version (Masterminds ``*semver.Version``).

    Equality, hashing and ordering follow :meth:`compare`, so build metadata is
    ignored: ``Version.parse("1.0.0+a") == Version.parse("1.0.0+b")``.
    """

    major: int
    minor: int
    patch: int
    prerelease: str
    metadata: str
    original: str

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``text`` like Masterminds ``NewVersion``; raise :class:`InvalidVersion`."""
        result = _parse_cached(text)
        if isinstance(result, str):
            raise InvalidVersion(result)
        return result

    def compare(self, other: Version) -> int:
        """Return -1, 0 or 1 as this version is lower than, equal to or higher than ``other``."""
        mine = (self.major, self.minor, self.patch)
        theirs = (other.major, other.minor, other.patch)
        if mine != theirs:
            return -1 if mine < theirs else 1
        if self.prerelease == other.prerelease:
            return 0
        if self.prerelease == "":
            return 1
        if other.prerelease == "":
            return -1
        return _compare_prerelease(self.prerelease, other.prerelease)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) == 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.prerelease))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) < 0

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) <= 0

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) > 0

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) >= 0

    def __str__(self) -> str:
        """The normalised form ``MAJOR.MINOR.PATCH[-PRERELEASE][+METADATA]`` (no ``v``)."""
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text


def try_parse(text: str) -> Version | None:
    """Parse ``text`` like :meth:`Version.parse` but return None when it is invalid."""
    result = _parse_cached(text)
    return None if isinstance(result, str) else result


def _identifier_key_desc(identifier: str) -> tuple[object, ...]:
    """Key that orders prerelease identifiers from highest to lowest."""
    number = _to_uint64(identifier)
    if number is not None:
        return (1, -number)
    # Negated code points reverse the order; the trailing 1 puts longer strings first.
    return (0, (*(-ord(ch) for ch in identifier), 1))


def _prerelease_key_desc(prerelease: str) -> tuple[object, ...]:
    """Key that orders a release before its prereleases, prereleases highest first."""
    if not prerelease:
        return (0,)
    parts = tuple(_identifier_key_desc(part) for part in prerelease.split("."))
    # The (2,) terminator makes a longer identifier list sort before its prefix.
    return (1, (*parts, (2,)))


@functools.lru_cache(maxsize=65536)
def sort_key_desc(version_text: str) -> tuple[object, ...]:
    """Sort key for version strings, newest first (``list.sort(key=sort_key_desc)``).

    Valid versions come first in descending :meth:`Version.compare` order (equal
    versions, e.g. differing only in metadata, keep their relative order); strings
    that do not parse come last, in their original relative order.
    """
    version = try_parse(version_text)
    if version is None:
        return (1,)
    return (
        0,
        -version.major,
        -version.minor,
        -version.patch,
        _prerelease_key_desc(version.prerelease),
    )
