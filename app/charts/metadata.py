"""Helm's chart metadata: the Go types it is decoded into, validation and JSON view."""

from __future__ import annotations

import re
from typing import Any

from app.charts.errors import ChartInvalid
from app.gocompat.semver import try_parse
from app.gocompat.text import go_base
from app.gocompat.text import go_quote
from app.gocompat.text import sanitize_string
from app.gocompat.unmarshal_types import ANY
from app.gocompat.unmarshal_types import BOOL
from app.gocompat.unmarshal_types import STRING
from app.gocompat.unmarshal_types import TIME
from app.gocompat.unmarshal_types import GoType
from app.gocompat.unmarshal_types import map_of
from app.gocompat.unmarshal_types import pointer_to
from app.gocompat.unmarshal_types import slice_of
from app.gocompat.unmarshal_types import struct

MAINTAINER = struct("chart.Maintainer", ("name", STRING), ("email", STRING), ("url", STRING))
DEPENDENCY = struct(
    "chart.Dependency",
    ("name", STRING),
    ("version", STRING),
    ("repository", STRING),
    ("condition", STRING),
    ("tags", slice_of(STRING)),
    ("enabled", BOOL),
    ("import-values", slice_of(ANY)),
    ("alias", STRING),
)
METADATA = struct(
    "chart.Metadata",
    ("name", STRING),
    ("home", STRING),
    ("sources", slice_of(STRING)),
    ("version", STRING),
    ("description", STRING),
    ("keywords", slice_of(STRING)),
    ("maintainers", slice_of(pointer_to(MAINTAINER))),
    ("icon", STRING),
    ("apiVersion", STRING),
    ("condition", STRING),
    ("tags", STRING),
    ("appVersion", STRING),
    ("deprecated", BOOL),
    ("annotations", map_of(STRING)),
    ("kubeVersion", STRING),
    ("dependencies", slice_of(pointer_to(DEPENDENCY))),
    ("type", STRING),
)
LOCK = pointer_to(
    struct(
        "chart.Lock",
        ("generated", TIME),
        ("digest", STRING),
        ("dependencies", slice_of(pointer_to(DEPENDENCY))),
    )
)
VALUES = map_of(ANY)

_SANITIZED = (
    "name",
    "description",
    "home",
    "icon",
    "condition",
    "tags",
    "appVersion",
    "kubeVersion",
)
_SANITIZED_LISTS = ("sources", "keywords")
_DEPENDENCY_SANITIZED = ("name", "version", "repository", "condition")
_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")
_CHART_TYPES = ("", "application", "library")
_ALWAYS_SHOWN = frozenset({"name", "repository"})


def _invalid(message: str) -> ChartInvalid:
    return ChartInvalid(f"validation: {message}")


def _sanitize_fields(record: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = record.get(name)
        if value and not (value.isascii() and value.isprintable()):
            record[name] = sanitize_string(value)


def _sanitize_list(record: dict[str, Any], name: str) -> None:
    values = record.get(name)
    if values:
        record[name] = [
            item if item.isascii() and item.isprintable() else sanitize_string(item)
            for item in values
        ]


def _check_name_and_version(md: dict[str, Any]) -> None:
    name = md.get("name", "")
    if not md.get("apiVersion"):
        raise _invalid("chart.metadata.apiVersion is required")
    if not name:
        raise _invalid("chart.metadata.name is required")
    if name in (".", ".."):
        raise _invalid(f"chart.metadata.name {go_quote(name)} is not allowed")
    if name != go_base(name):
        raise _invalid(f"chart.metadata.name {go_quote(name)} is invalid")
    version = md.get("version", "")
    if not version:
        raise _invalid("chart.metadata.version is required")
    if try_parse(version) is None:
        raise _invalid(f"chart.metadata.version {go_quote(version)} is invalid")
    if md.get("type", "") not in _CHART_TYPES:
        raise _invalid("chart.metadata.type must be application or library")


def _check_maintainers(md: dict[str, Any]) -> None:
    for maintainer in md.get("maintainers") or ():
        if maintainer is None:
            raise _invalid("maintainers must not contain empty or null nodes")
        _sanitize_fields(maintainer, ("name", "email", "url"))


def _check_dependency(dependency: dict[str, Any] | None) -> str:
    if dependency is None:
        raise _invalid("dependencies must not contain empty or null nodes")
    _sanitize_fields(dependency, _DEPENDENCY_SANITIZED)
    _sanitize_list(dependency, "tags")
    alias = dependency.get("alias", "")
    name: str = dependency.get("name", "")
    if alias and not _ALIAS.fullmatch(alias):
        raise _invalid(f"dependency {go_quote(name)} has disallowed characters in the alias")
    return alias or name


def _check_dependencies(md: dict[str, Any]) -> None:
    keys: set[str] = set()
    for dependency in md.get("dependencies") or ():
        key = _check_dependency(dependency)
        if key in keys:
            raise _invalid(f"more than one dependency with name or alias {go_quote(key)}")
        keys.add(key)


def validate_metadata(md: dict[str, Any]) -> None:
    """Helm's ``Metadata.Validate``: sanitises ``md`` in place, raises on the first problem."""
    _sanitize_fields(md, _SANITIZED)
    for name in _SANITIZED_LISTS:
        _sanitize_list(md, name)
    _check_name_and_version(md)
    _check_maintainers(md)
    _check_dependencies(md)


_ABSENT = (None, "", False)


def _view(record: dict[str, Any], names: tuple[str, ...], always: frozenset[str]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for name in names:
        value = record.get(name)
        if name in always:
            view[name] = value if value is not None else ""
        elif value is not None and value not in _ABSENT and value != [] and value != {}:
            view[name] = value
    return view


def _names(go_type: GoType) -> tuple[str, ...]:
    return tuple(name for name, _ in go_type.fields)


_METADATA_NAMES = _names(METADATA)
_MAINTAINER_NAMES = _names(MAINTAINER)
_DEPENDENCY_NAMES = _names(DEPENDENCY)
_NONE_SHOWN: frozenset[str] = frozenset()


def metadata_view(md: dict[str, Any]) -> dict[str, Any]:
    """The metadata as Helm serialises it: struct order, empty fields omitted."""
    view = _view(md, _METADATA_NAMES, _NONE_SHOWN)
    if "maintainers" in view:
        view["maintainers"] = [
            _view(m, _MAINTAINER_NAMES, _NONE_SHOWN) for m in view["maintainers"]
        ]
    if "dependencies" in view:
        view["dependencies"] = [
            _view(d, _DEPENDENCY_NAMES, _ALWAYS_SHOWN) for d in view["dependencies"]
        ]
    if "annotations" in view:
        view["annotations"] = dict(sorted(view["annotations"].items()))
    return view
