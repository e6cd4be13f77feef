"""How go-yaml v2 types scalars, and how Go prints the values it builds."""

from __future__ import annotations

import math
import re
from typing import Any

from app.charts.gofmt import format_float32
from app.charts.gofmt import go_quote

NUMBER_START = frozenset("0123456789+-.")
WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASES = {"x": 16, "o": 8, "b": 2}


class YamlError(ValueError):
    """A document go-yaml would refuse; ``str(e)`` follows go-yaml's texts."""


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` falling back to ``ParseUint``; None if neither."""
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > 1 and digits[0] == "0":
        base = _BASES.get(digits[1].lower(), 8)
        value = int(digits[2:] if base != 8 or digits[1] in "oO" else digits[1:], base)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    if -(1 << 63) <= value < (1 << 64 if not sign else 1 << 63):
        return value
    return None


def _go_number(text: str) -> Any:
    """What go-yaml makes of a plain scalar starting with a digit, sign or dot."""
    if text[0] == ".":
        if "_" in text or not _YAML_FLOAT.fullmatch(text):
            return text
        return float(text)
    plain = text.replace("_", "")
    value = _go_int(plain)
    if value is not None:
        return value
    if _YAML_FLOAT.fullmatch(plain):
        number = float(plain)
        return text if math.isinf(number) else number
    return text


def plain_scalar(text: str) -> Any:
    """The value go-yaml v2 gives an untagged, unquoted scalar."""
    if text in WORDS:
        return WORDS[text]
    if text and text[0] in NUMBER_START:
        return _go_number(text)
    return text


def short_tag(value: Any) -> str:
    """The tag go-yaml resolves a value to (``!!int``, ``!!str``, ...)."""
    if value is None:
        return "!!null"
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    return "!!float" if isinstance(value, float) else "!!str"


def go_value(value: Any, nested: bool = False) -> str:
    """Roughly Go's ``%#v`` of a decoded YAML value (used in a few error texts)."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value) if isinstance(value, int) else format_float32(value)
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(go_value(v, True) for v in value) + "}"
    if isinstance(value, dict):
        items = ", ".join(f"{go_value(k, True)}:{go_value(v, True)}" for k, v in value.items())
        return "map[interface {}]interface {}{" + items + "}"
    return "interface {}(nil)" if nested else "<nil>"


def go_key(key: Any, value: Any) -> str:
    """The JSON object key sigs.k8s.io/yaml makes of a YAML mapping key."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        text = format_float32(key)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
    if key is None:
        raise YamlError(
            f"unsupported map key of type: %!s(<nil>), key: <nil>, value: {go_value(value)}"
        )
    raise YamlError(f"yaml: invalid map key: {go_value(key)}")
