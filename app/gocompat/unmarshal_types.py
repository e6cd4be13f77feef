"""Helm's Go destination types, as :mod:`app.gocompat.unmarshal` decodes YAML into them.

A :class:`GoType` describes a Go destination (``string``, ``bool``, ``interface{}``,
``time.Time``, slices, ``map[string]T``, pointers and structs with their JSON field names).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


class UnmarshalError(ValueError):
    """Raised with the text of the Go error (without Helm's ``cannot load X:`` prefix)."""


@dataclass(frozen=True, eq=False)
class GoType:
    """A Go destination type: ``kind`` is string, bool, any, time, slice, map, ptr or struct."""

    kind: str
    go_name: str
    elem: GoType | None = None
    fields: tuple[tuple[str, GoType], ...] = ()

    @property
    def struct_name(self) -> str:
        """The bare struct name used in ``Go struct field <Struct>.<path>`` messages."""
        return self.go_name.rpartition(".")[2]


STRING = GoType("string", "string")
BOOL = GoType("bool", "bool")
ANY = GoType("any", "interface {}")
TIME = GoType("time", "time.Time")


def slice_of(elem: GoType) -> GoType:
    """``[]elem``."""
    return GoType("slice", "[]" + elem.go_name, elem)


def map_of(elem: GoType) -> GoType:
    """``map[string]elem``."""
    return GoType("map", "map[string]" + elem.go_name, elem)


def pointer_to(elem: GoType) -> GoType:
    """``*elem``."""
    return GoType("ptr", "*" + elem.go_name, elem)


def struct(go_name: str, *fields: tuple[str, GoType]) -> GoType:
    """A struct with the given JSON field names."""
    return GoType("struct", go_name, None, tuple(fields))


def _fold(name: str) -> str:
    return name.lower().replace("\u017f", "s")


@functools.cache
def _field_index(
    go_type: GoType,
) -> tuple[dict[str, tuple[str, GoType]], dict[str, tuple[str, GoType]]]:
    exact = {name: (name, field) for name, field in go_type.fields}
    folded: dict[str, tuple[str, GoType]] = {}
    for name, field in go_type.fields:
        folded.setdefault(_fold(name), (name, field))
    return exact, folded


def find_field(go_type: GoType, key: str) -> tuple[str, GoType] | None:
    """The struct field ``encoding/json`` decodes ``key`` into: exact name first, then folded."""
    exact, folded = _field_index(go_type)
    return exact.get(key) or folded.get(_fold(key))


# The zero value a destination of each kind starts from (None: nil).
ZEROS: dict[str, Any] = {"string": "", "bool": False}
