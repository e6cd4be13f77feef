"""Find a chart version the way ChartMuseum does: exact string first, then a semver range."""

from __future__ import annotations

from app.errors import NotFound
from app.gocompat.semver import try_parse
from app.index.chart_index import ChartIndex
from app.index.entry import IndexEntry


def find_version(index: ChartIndex, name: str, version: str) -> IndexEntry:
    """Resolve ``version`` (``latest``, exact, or a constraint such as ``^1.2``) of ``name``.

    :raises NotFound: with ChartMuseum's message.
    """
    if version == "latest":
        version = ""
    versions = index.visible(name)
    if not versions:
        raise NotFound("no chart name found")
    if version:
        for entry in versions:
            if entry.version == version:
                return entry
    # imported here, for the first range asked for: compiling its patterns takes a few
    # milliseconds of a worker's start otherwise
    from app.gocompat.semver_constraints import ConstraintError
    from app.gocompat.semver_constraints import Constraints

    try:
        constraint = Constraints.parse(version or "*")
    except ConstraintError as exc:
        raise NotFound(str(exc)) from exc
    for entry in versions:
        parsed = try_parse(entry.version)
        if parsed is not None and constraint.check(parsed):
            return entry
    raise NotFound(f"no chart version found for {name}-{version}")
