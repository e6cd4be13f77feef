"""The first step of ``sigs.k8s.io/yaml.Unmarshal``: YAML values made JSON-compatible.

Keys become strings, numbers and booleans become strings where the destination is a
string, numbers come back as from Go's ``float64`` round trip, and go-yaml's limit on
alias expansion applies.  :mod:`app.gocompat.unmarshal` then decodes the result with
``encoding/json``'s rules.
"""

from __future__ import annotations

import math
from typing import Any

from app.gocompat.json_encoding import go_json_number
from app.gocompat.text import format_float32
from app.gocompat.unmarshal_types import GoType
from app.gocompat.unmarshal_types import UnmarshalError
from app.gocompat.unmarshal_types import find_field

_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000


class CyclicValue(UnmarshalError):
    """A YAML alias inside the very node its anchor names."""


def _unwrap(target: GoType | None) -> GoType | None:
    while target is not None and target.kind == "ptr":
        target = target.elem
    return None if target is not None and target.kind == "time" else target


def _string_form(value: Any) -> Any:
    """sigs.k8s.io/yaml's number/boolean to string coercion for string destinations."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -(1 << 63) <= value < 1 << 64 else value
    if isinstance(value, float):
        return format_float32(value)
    return value


class JsonConverter:
    """YAML objects to JSON-compatible objects, with go-yaml's alias expansion limit."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._active: set[int] = set()
        self._decoded = 0
        self._aliased = 0
        self._alias_depth = 0

    def _count(self) -> None:
        self._decoded += 1
        if self._alias_depth:
            self._aliased += 1
        if self._aliased > 100 and self._decoded > 1000:
            span = min(max(self._decoded - _ALIAS_LOW, 0), _ALIAS_HIGH - _ALIAS_LOW)
            allowed = 0.99 - 0.89 * span / (_ALIAS_HIGH - _ALIAS_LOW)
            if self._aliased / self._decoded > allowed:
                raise UnmarshalError("yaml: document contains excessive aliasing")

    def convert(self, obj: Any, target: GoType | None) -> Any:
        """``obj`` made JSON-compatible for the destination ``target`` (None: untyped)."""
        self._count()
        target = _unwrap(target)
        if isinstance(obj, dict | list):
            return self._convert_container(obj, target)
        return self._convert_scalar(obj, target)

    def _convert_container(self, obj: dict[str, Any] | list[Any], target: GoType | None) -> Any:
        key = id(obj)
        if key in self._active:
            raise CyclicValue("yaml: anchor value contains itself")
        alias = key in self._seen
        self._seen.add(key)
        self._active.add(key)
        self._alias_depth += alias
        try:
            if isinstance(obj, dict):
                return self._convert_map(obj, target)
            return self._convert_list(obj, target)
        finally:
            self._alias_depth -= alias
            self._active.discard(key)

    def _convert_map(self, obj: dict[Any, Any], target: GoType | None) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in sorted(obj):
            self._count()
            result[key] = self.convert(obj[key], self._member_target(target, key))
        return result

    @staticmethod
    def _member_target(target: GoType | None, key: str) -> GoType | None:
        if target is None:
            return None
        if target.kind == "struct":
            field = find_field(target, key)
            return field[1] if field else None
        return target.elem if target.kind == "map" else None

    def _convert_list(self, obj: list[Any], target: GoType | None) -> list[Any]:
        elem = target.elem if target is not None and target.kind == "slice" else None
        return [self.convert(item, elem) for item in obj]

    @staticmethod
    def _convert_scalar(obj: Any, target: GoType | None) -> Any:
        if target is not None and target.kind == "string":
            obj = _string_form(obj)
        if isinstance(obj, bytes):
            return obj.decode("utf-8", "replace")
        if isinstance(obj, float) and not math.isfinite(obj):
            text = "NaN" if math.isnan(obj) else ("+Inf" if obj > 0 else "-Inf")
            raise UnmarshalError(f"json: unsupported value: {text}")
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            return go_json_number(obj)
        return obj


def json_kind(value: Any) -> str:
    """The JSON value kind named in ``json: cannot unmarshal <kind> into ...``."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"
