"""How go-yaml v2 types plain scalars: the rules both reading and emitting rely on.

Reading gives an untagged, unquoted scalar its value (:func:`plain_scalar`); emitting
quotes a string exactly when the same rules, widened to what PyYAML's YAML 1.1 reader
would also take for a non-string, would read it back as something else
(:func:`resolves_to_non_string`).
"""

from __future__ import annotations

import math
import re
from typing import Any
from typing import Final

# The characters a plain scalar that may be a number starts with.
NUMBER_START: Final = frozenset("0123456789+-.")
# go-yaml v2's resolve table: the plain scalars that are booleans, nulls and special floats.
WORDS: Final[dict[str, Any]] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}

_RADIX_INT: Final = r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+"
_FLOAT: Final = r"(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
# strconv.ParseInt(text, 0, 64) syntax, and go-yaml v2's float regex (underscores removed).
_GO_INT: Final = re.compile(rf"([+-]?)({_RADIX_INT}|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT: Final = re.compile(rf"[-+]?{_FLOAT}")
_GO_NUMBER: Final = re.compile(rf"[-+]?(?:{_RADIX_INT}|{_FLOAT})\Z")
_BASES: Final = {"x": 16, "o": 8, "b": 2}

# Plain scalars that PyYAML also reads as non-strings: "=" (value) and "<<" (merge).
_RESERVED: Final = frozenset(WORDS) | {"=", "<<"}
# YAML 1.1 ints and floats as PyYAML reads them (underscores kept), incl. base 60.
_YAML11_NUMBER: Final = re.compile(
    r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+][0-9]+)?)\Z"
)
_BASE60: Final = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
# Timestamps as go-yaml v2 or PyYAML would read them (a superset of both).
_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
    r"(?:[.,][0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?\Z"
)


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


def resolves_to_non_string(s: str) -> bool:
    """Whether ``s`` written as a plain scalar would be read back as something else."""
    if s == "" or s in _RESERVED:
        return True
    if s[0] not in NUMBER_START:
        return False
    return bool(
        _GO_NUMBER.match(s.replace("_", ""))
        or _YAML11_NUMBER.match(s)
        or _BASE60.match(s)
        or _TIMESTAMP.match(s)
    )
