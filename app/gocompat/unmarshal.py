"""``sigs.k8s.io/yaml.Unmarshal`` into Helm's Go types: YAML -> JSON -> ``encoding/json``.

Decoding happens in the two steps Go takes: YAML values are first made JSON-compatible
(:mod:`app.gocompat.yaml_to_json`), then decoded into the :class:`GoType` destination with
``encoding/json``'s rules and messages (case-insensitive field names, ``null`` leaves a
value untouched, maps are merged into, the first type error wins).  Documents in the
simple shape take a one-pass fast path (:mod:`app.gocompat.unmarshal_fast`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.gocompat.times import RFC3339
from app.gocompat.unmarshal_fast import decode_simple
from app.gocompat.unmarshal_types import ZEROS
from app.gocompat.unmarshal_types import GoType
from app.gocompat.unmarshal_types import UnmarshalError
from app.gocompat.unmarshal_types import find_field
from app.gocompat.yaml_read_fast import NotSimple
from app.gocompat.yaml_read_fast import parse_simple
from app.gocompat.yaml_to_json import CyclicValue
from app.gocompat.yaml_to_json import JsonConverter
from app.gocompat.yaml_to_json import json_kind


class _TypeMismatch(Exception):
    """The first ``json: cannot unmarshal ...`` error of a decode."""


class _Decoder:
    """Decodes into Go values represented as Python objects (structs as sparse dicts)."""

    def __init__(self) -> None:
        self._struct = ""
        self._path: list[str] = []

    def _mismatch(self, value: Any, target: GoType) -> _TypeMismatch:
        kind = json_kind(value)
        if self._struct or self._path:
            where = f"Go struct field {self._struct}.{'.'.join(self._path)}"
        else:
            where = "Go value"
        return _TypeMismatch(f"json: cannot unmarshal {kind} into {where} of type {target.go_name}")

    def decode(self, value: Any, target: GoType, existing: Any) -> Any:
        """``value`` decoded into a ``target`` that currently holds ``existing``."""
        if target.kind == "ptr":
            assert target.elem is not None
            return None if value is None else self.decode(value, target.elem, existing)
        if value is None:
            return None if target.kind in ("any", "slice", "map") else existing
        return _HANDLERS[target.kind](self, value, target, existing)

    def _decode_any(self, value: Any, target: GoType, existing: Any) -> Any:
        return value

    def _decode_string(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, str):
            raise self._mismatch(value, target)
        return value

    def _decode_bool(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, bool):
            raise self._mismatch(value, target)
        return value

    def _decode_time(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, str):
            raise _TypeMismatch("Time.UnmarshalJSON: input is not a JSON string")
        if not RFC3339.fullmatch(value):
            raise _TypeMismatch(
                f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": '
                f'cannot parse "{value}" as "2006"'
            )
        return value

    def _decode_slice(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, list):
            raise self._mismatch(value, target)
        assert target.elem is not None
        old = existing if isinstance(existing, list) else []
        return [
            self.decode(item, target.elem, old[i] if i < len(old) else _zero(target.elem))
            for i, item in enumerate(value)
        ]

    def _decode_map(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, dict):
            raise self._mismatch(value, target)
        assert target.elem is not None
        result = dict(existing) if isinstance(existing, dict) else {}
        for key, item in value.items():
            result[key] = self.decode(item, target.elem, _zero(target.elem))
        return result

    def _decode_struct(self, value: Any, target: GoType, existing: Any) -> Any:
        if not isinstance(value, dict):
            raise self._mismatch(value, target)
        result = dict(existing) if isinstance(existing, dict) else {}
        for key, item in value.items():
            field = find_field(target, key)
            if field is not None:
                result[field[0]] = self._decode_field(item, target, field, result)
        return result

    def _decode_field(
        self, item: Any, owner: GoType, field: tuple[str, GoType], current: dict[str, Any]
    ) -> Any:
        saved = self._struct
        self._struct = owner.struct_name
        self._path.append(field[0])
        try:
            return self.decode(item, field[1], current.get(field[0], _zero(field[1])))
        finally:
            self._path.pop()
            self._struct = saved


_HANDLERS: dict[str, Callable[[_Decoder, Any, GoType, Any], Any]] = {
    kind: getattr(_Decoder, f"_decode_{kind}")
    for kind in ("any", "string", "bool", "time", "slice", "map", "struct")
}


def _zero(target: GoType) -> Any:
    return ZEROS.get(target.kind)


def _to_json(data: bytes, target: GoType) -> Any:
    """Go: ``yamlToJSONTarget`` (go-yaml decoding, then the JSON-compatible conversion)."""
    # the general reader (PyYAML underneath) is imported by the first document that needs
    # it: nearly every chart takes the fast path, and a start need not pay for it
    from app.gocompat.yaml_read import YamlError
    from app.gocompat.yaml_read import cyclic_anchor
    from app.gocompat.yaml_read import parse_first_document

    prefix = "error converting YAML to JSON: "
    try:
        return JsonConverter().convert(parse_first_document(data), target)
    except CyclicValue:
        anchor = cyclic_anchor(data)
        raise UnmarshalError(f"{prefix}yaml: anchor '{anchor}' value contains itself") from None
    except (YamlError, UnmarshalError) as exc:
        raise UnmarshalError(f"{prefix}{exc}") from None
    except RecursionError:
        raise UnmarshalError(f"{prefix}yaml: exceeded max depth of 10000") from None


def unmarshal_yaml_general(data: bytes, target: GoType, existing: Any) -> Any:
    """:func:`unmarshal_yaml` without the fast path for simple documents."""
    value = _to_json(data, target)
    if value is None:
        return existing
    try:
        return _Decoder().decode(value, target, existing)
    except _TypeMismatch as exc:
        raise UnmarshalError(f"error unmarshaling JSON: while decoding JSON: {exc}") from None


def unmarshal_yaml(data: bytes, target: GoType, existing: Any) -> Any:
    """``sigs.k8s.io/yaml.Unmarshal(data, &existing)``: the decoded value.

    A top-level ``null`` (or an empty document) leaves ``existing`` unchanged.  Documents
    in the simple shape nearly all chart files have take a fast path with the same result.

    :raises UnmarshalError: with the Go error text, e.g. ``error converting YAML to JSON:
        yaml: line 2: ...`` or ``error unmarshaling JSON: while decoding JSON: json: ...``.
    """
    try:
        return decode_simple(parse_simple(data), target, existing)
    except NotSimple:
        return unmarshal_yaml_general(data, target, existing)
