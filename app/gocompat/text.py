"""Go's text rules that leak into Helm's messages and chart metadata.

``strconv.Quote``, ``strconv.FormatFloat`` (32-bit), ``unicode.IsPrint``/``IsSpace``,
``path.Base``, Helm's ``sanitizeString`` and a ``%#v`` of decoded YAML values.
"""

from __future__ import annotations

import math
import struct
import unicodedata
from typing import Any

_F32 = struct.Struct("<f")
_LATIN1_SPACES = frozenset("\t\n\v\f\r \x85\xa0")
_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def is_print(ch: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def is_space(ch: str) -> bool:
    """``unicode.IsSpace``: Latin-1 white space, or a Zs/Zl/Zp character above Latin-1."""
    if ch <= "\xff":
        return ch in _LATIN1_SPACES
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def sanitize_string(text: str) -> str:
    """Helm's ``sanitizeString``: each white space becomes a space, non-printables vanish."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if is_space(ch) else ch for ch in text if is_space(ch) or is_print(ch))


def _escape_rune(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a raw byte kept by the surrogateescape error handler
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(text: str) -> str:
    """``strconv.Quote`` (the ``%q`` verb) for a string."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    parts = []
    for ch in text:
        escaped = _QUOTE_ESCAPES.get(ch)
        if escaped is None:
            escaped = ch if is_print(ch) and not 0xD800 <= ord(ch) <= 0xDFFF else _escape_rune(ch)
        parts.append(escaped)
    return '"' + "".join(parts) + '"'


def _to_float32(value: float) -> float:
    try:
        result: float = _F32.unpack(_F32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    return result


def _shortest_digits32(value: float) -> tuple[str, int]:
    """Shortest decimal digits that read back as the same float32, and their exponent."""
    text = f"{value:.8e}"
    for precision in range(9):
        candidate = f"{value:.{precision}e}"
        if _to_float32(float(candidate)) == value:
            text = candidate
            break
    mantissa, exponent = text.split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    return digits, int(exponent)


def _fixed_notation(digits: str, exponent: int) -> str:
    point = exponent + 1
    integer = digits[:point].ljust(point, "0") if point > 0 else "0"
    fraction = "".join(
        digits[point + i] if 0 <= point + i < len(digits) else "0"
        for i in range(max(len(digits) - point, 0))
    )
    return integer + ("." + fraction if fraction else "")


def format_float32(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 32)``, as sigs.k8s.io/yaml turns numbers into text."""
    if math.isnan(value):
        return "NaN"
    single = _to_float32(value)
    if math.isinf(single):
        return "+Inf" if single > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, single) < 0 else ""
    digits, exponent = _shortest_digits32(abs(single))
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp_sign = "+" if exponent >= 0 else "-"
        return f"{sign}{mantissa}e{exp_sign}{abs(exponent):02d}"
    return sign + _fixed_notation(digits, exponent)


def go_base(path: str) -> str:
    """``path.Base`` / ``filepath.Base`` on a Unix system."""
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path[path.rfind("/") + 1 :]


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
