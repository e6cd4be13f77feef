"""Semantic versions and constraints with the behaviour of Go's Masterminds/semver v3.4.0.

Helm and ChartMuseum parse chart versions with ``semver.NewVersion`` (the lenient,
coercing parser) and resolve version ranges with ``semver.NewConstraint`` /
``Constraints.Check``.  This module reproduces those rules, including their quirks:

* :meth:`Version.parse` accepts an optional leading ``v``, one to three numeric
  parts (missing ones are 0, leading zeros allowed), a dot separated prerelease
  whose purely numeric identifiers must not have leading zeros, and build metadata.
* Ordering follows ``Version.Compare``: metadata is ignored, a prerelease sorts
  before its release, prerelease identifiers compare per SemVer 2.
* :class:`Constraints` supports ``||`` groups, space/comma separated AND,
  ``= != > < >= => <= =< ~ ~> ^``, hyphen ranges, ``x``/``X``/``*`` wildcards and
  partial versions.  A prerelease version only satisfies an AND group when one of
  the group's constraints names a prerelease (or ``include_prerelease`` is set).

The implementation lives in :mod:`app.semver_version` (parsing, ordering, sort key) and
:mod:`app.semver_constraints` (constraint parsing and checking); this module is the public
interface and re-exports their names.
"""

from __future__ import annotations

# ``_CV``, ``_rewrite_range`` and ``_split_group`` are re-exported for the unit tests.
from app.semver_constraints import _CV as _CV
from app.semver_constraints import MAX_CONSTRAINT_LENGTH
from app.semver_constraints import ConstraintError
from app.semver_constraints import Constraints
from app.semver_constraints import _rewrite_range as _rewrite_range
from app.semver_constraints import _split_group as _split_group
from app.semver_version import InvalidVersion
from app.semver_version import Version
from app.semver_version import sort_key_desc
from app.semver_version import try_parse

__all__ = [
    "MAX_CONSTRAINT_LENGTH",
    "ConstraintError",
    "Constraints",
    "InvalidVersion",
    "Version",
    "sort_key_desc",
    "try_parse",
]
