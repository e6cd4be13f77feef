"""One-pass decoding of simple YAML values into a :class:`GoType`.

:func:`decode_simple` gives what the general path (``JsonConverter`` then ``encoding/json``
decoding, see :mod:`app.gocompat.unmarshal`) gives for an alias-free value built of dicts
with string keys, lists and scalars, in one walk and without building the intermediate
JSON form.  Wherever the general path would fail it raises :class:`NotSimple` instead, so
that the general path runs and reports the error with its exact text.
"""

from __future__ import annotations

import math
from typing import Any

from app.gocompat.json_encoding import go_json_number
from app.gocompat.text import format_float32
from app.gocompat.times import RFC3339
from app.gocompat.unmarshal_types import STRING
from app.gocompat.unmarshal_types import ZEROS
from app.gocompat.unmarshal_types import GoType
from app.gocompat.unmarshal_types import find_field
from app.gocompat.yaml_read_fast import NotSimple

__all__ = ["decode_simple"]

_INT_LOW, _INT_HIGH = -(1 << 63), 1 << 64
_EXACT_FIELDS: dict[GoType, dict[str, tuple[str, GoType]]] = {}


def untyped(value: Any) -> Any:
    """``value`` as Go holds it after the JSON round trip into ``interface{}``."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return {key: untyped(value[key]) for key in sorted(value)}
    if kind is list:
        return [untyped(item) for item in value]
    if kind is int:
        return go_json_number(value)
    if kind is float and math.isfinite(value):
        return go_json_number(value)
    raise NotSimple


def _string(value: Any) -> Any:
    """A scalar for a string destination (sigs.k8s.io/yaml turns numbers into text)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int and _INT_LOW <= value < _INT_HIGH:
        return str(value)
    if kind is float:
        return format_float32(value)
    raise NotSimple


def _slice(value: Any, target: GoType, existing: Any) -> list[Any]:
    if type(value) is not list:
        raise NotSimple
    elem = target.elem
    assert elem is not None
    if elem.kind == "string" and all(type(item) is str for item in value):
        return list(value)  # what each element decodes to, whatever it replaces
    old = existing if isinstance(existing, list) else []
    zero = ZEROS.get(elem.kind)
    return [
        _decode(item, elem, old[index] if index < len(old) else zero)
        for index, item in enumerate(value)
    ]


def _map(value: Any, target: GoType, existing: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotSimple
    elem = target.elem
    assert elem is not None
    result = dict(existing) if isinstance(existing, dict) else {}
    zero = ZEROS.get(elem.kind)
    for key in sorted(value):
        result[key] = _decode(value[key], elem, zero)
    return result


def _exact_fields(target: GoType) -> dict[str, tuple[str, GoType]]:
    fields = _EXACT_FIELDS.get(target)
    if fields is None:
        fields = _EXACT_FIELDS[target] = {name: (name, kind) for name, kind in target.fields}
    return fields


def _struct(value: Any, target: GoType, existing: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotSimple
    exact = _exact_fields(target)
    result = dict(existing) if isinstance(existing, dict) else {}
    for key in sorted(value):
        item = value[key]
        field = exact.get(key) or find_field(target, key)
        if field is None:
            untyped(item)  # still converted, so it may still fail
            continue
        name, field_type = field
        if type(item) is str and field_type is STRING:
            result[name] = item
        else:
            current = result.get(name, ZEROS.get(field_type.kind))
            result[name] = _decode(item, field_type, current)
    return result


def _decode(value: Any, target: GoType, existing: Any) -> Any:
    kind = target.kind
    if kind == "ptr":
        assert target.elem is not None
        return None if value is None else _decode(value, target.elem, existing)
    if value is None:
        return None if kind in ("any", "slice", "map") else existing
    if kind == "string":
        return _string(value)
    if kind == "struct":
        return _struct(value, target, existing)
    if kind == "slice":
        return _slice(value, target, existing)
    if kind == "map":
        return _map(value, target, existing)
    if kind == "any":
        return untyped(value)
    if kind == "bool" and type(value) is bool:
        return value
    if kind == "time" and type(value) is str and RFC3339.fullmatch(value):
        return value
    raise NotSimple


def decode_simple(value: dict[str, Any], target: GoType, existing: Any) -> Any:
    """The decoded value (see the module docstring); ``existing`` is never modified.

    :raises NotSimple: where the general path would raise an error.
    """
    return _decode(value, target, existing)
