"""Go's ``encoding/json``: the bytes it writes, and values as they come back from it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from typing import Final

_encode_json = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False
).encode
_HTML_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_EXACT_FLOAT_INT: Final = 1 << 53


def go_json(obj: Any) -> bytes:
    """Compact JSON with the bytes Go's ``encoding/json`` produces (keys in insertion order)."""
    text = _encode_json(obj)
    for char, escaped in _HTML_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates: Go writes U+FFFD for invalid UTF-8
        return _SURROGATE.sub("\ufffd", text).encode()


def go_json_number(value: int | float) -> int | float:
    """A number as it comes back from Go's JSON round trip through ``float64``."""
    if isinstance(value, int):
        if -_EXACT_FLOAT_INT <= value <= _EXACT_FLOAT_INT:
            return value
        try:
            value = float(value)
        except OverflowError:
            return value
    if value.is_integer() and abs(value) < 1e21:
        return int(Decimal(repr(value)))
    return value


def round_trip(value: Any) -> Any:
    """Free-form data as it comes back from Go's JSON round trip (sorted keys, whole floats)."""
    if isinstance(value, dict):
        pairs = sorted((_map_key(k), round_trip(v)) for k, v in value.items())
        return dict(pairs)
    if isinstance(value, list | tuple):
        return [round_trip(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)
