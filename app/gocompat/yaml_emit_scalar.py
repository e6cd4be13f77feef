"""One YAML scalar written the way the go-yaml v2 emitter writes it.

The style is chosen as go-yaml v2 does: the encoder asks for a literal block when the string
holds a newline, double quotes when a plain scalar would resolve to something other than a
string, plain otherwise; the emitter then falls back to single and double quotes when the
characters do not allow the requested style. Long plain and quoted scalars are folded at the
first suitable space past column 80, continuation lines indented by the scalar's indent.

Deliberate deviations, so that every YAML 1.1 reader (Helm's go-yaml and PyYAML alike) reads
the value back as the same string: strings that PyYAML would resolve to a non-string ("=",
"<<", "2024-01-01T10:00:00", "0x_", ...) are double-quoted too, and strings holding U+2028 or
U+2029 are always double-quoted. Which strings resolve to non-strings is decided by
:func:`app.gocompat.scalars.resolves_to_non_string`, from the same rules the reader uses.
"""

from __future__ import annotations

import decimal
import math
import re
from typing import Any
from typing import Final

from app.gocompat.scalars import resolves_to_non_string

BEST_WIDTH: Final = 80
MAX_SIMPLE_KEY: Final = 128

PLAIN: Final = 0
SINGLE: Final = 1
DOUBLE: Final = 2
LITERAL: Final = 3

_BREAKS: Final = "\n\r\x85\u2028\u2029"
# Safe without further analysis: starts alphanumeric, then no space, quote, colon, hash...
_SIMPLE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./+=~()-]*\Z")
# Characters libyaml does not consider printable (tab, controls, surrogates, BOM, non-BMP):
# the complement of [\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd], spelled as ranges
# because the negated class takes ten times as long to compile (3.5 ms of every start).
_UNPRINTABLE: Final = "\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe-\U0010ffff"
_SPECIAL: Final = re.compile(f"[{_UNPRINTABLE}]")
_ANY_BREAK: Final = re.compile("[\n\r\x85\u2028\u2029]")
_SPACE_BREAK: Final = re.compile(" [\n\r\x85\u2028\u2029]")
_BREAK_SPACE: Final = re.compile("[\n\r\x85\u2028\u2029] ")
_INNER_INDICATOR: Final = re.compile(r":(?:[ \t]|\Z)|[ \t]#")
_FIRST_INDICATORS: Final = frozenset("#,[]{}&*!|>'\"%@`")
_ESCAPE_NEEDED: Final = re.compile(f'["\\\\\n\r\x85\u2028\u2029]|[{_UNPRINTABLE}]')
_SHORT_ESCAPES: Final = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}

_CACHE_LIMIT: Final = 200_000
# string -> (style, unfolded body); the body is None for literal blocks.
_cache: dict[str, tuple[int, str | None]] = {}


def is_multiline(s: str) -> bool:
    """Whether libyaml sees a line break in ``s`` (such a key cannot be a simple key)."""
    return _ANY_BREAK.search(s) is not None


def _plain_allowed(s: str) -> bool:
    """libyaml's ``block_plain_allowed`` for a string without specials or breaks."""
    first = s[0]
    if first in _FIRST_INDICATORS or first == " " or s[-1] == " ":
        return False
    if first in "?:-" and (len(s) == 1 or s[1] in " \t"):
        return False
    if s.startswith(("---", "...")):
        return False
    return _INNER_INDICATOR.search(s) is None


def _fallback_style(s: str, requested: int) -> int:
    """libyaml's downgrade of the requested style according to the scalar's characters."""
    if _SPECIAL.search(s) or _SPACE_BREAK.search(s) or "\u2028" in s or "\u2029" in s:
        return DOUBLE
    if requested == LITERAL:
        return DOUBLE if s[-1] == " " else LITERAL
    if requested == PLAIN and not (_ANY_BREAK.search(s) is None and _plain_allowed(s)):
        requested = SINGLE
    if requested == SINGLE and _BREAK_SPACE.search(s):
        return DOUBLE
    return requested


def scalar_style(s: str) -> int:
    """The style go-yaml v2 gives ``s`` in block context (plus the deviations above)."""
    if _SIMPLE.match(s):
        return DOUBLE if resolves_to_non_string(s) else PLAIN
    if "\n" in s:
        requested = LITERAL
    elif resolves_to_non_string(s):
        requested = DOUBLE
    else:
        requested = PLAIN
    return _fallback_style(s, requested) if s else DOUBLE


def _escape_char(match: re.Match[str]) -> str:
    return _escape(match.group())


def _escape(ch: str) -> str:
    short = _SHORT_ESCAPES.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _body(s: str, style: int) -> str | None:
    if style == PLAIN:
        return s
    if style == SINGLE:
        return "'" + s.replace("'", "''") + "'"
    if style == DOUBLE:
        if s.startswith("\ufeff"):
            return _escape_all(s)
        return '"' + _ESCAPE_NEEDED.sub(_escape_char, s) + '"'
    return None


def _escape_all(s: str) -> str:
    """Every character escaped, as go-yaml does for a value that starts with a BOM.

    (Its ``is_bom()`` looks at the value's first bytes instead of character i.)
    """
    return '"' + "".join(map(_escape, s)) + '"'


def _lookup(s: str) -> tuple[int, str | None]:
    hit = _cache.get(s)
    if hit is None:
        style = scalar_style(s)
        hit = (style, _body(s, style))
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[s] = hit
    return hit


def render_key(s: str) -> str | None:
    """``s`` as a simple mapping key (written before ``:``, never folded).

    None when libyaml would not write it as a simple key (longer than 128 bytes or holding a
    line break); such keys take the ``? key`` form.
    """
    style, body = _lookup(s)
    if body is None or (len(s) > MAX_SIMPLE_KEY // 4 and len(s.encode()) > MAX_SIMPLE_KEY):
        return None
    return None if style != PLAIN and is_multiline(s) else body


def render_value(s: str, col: int, indent: int) -> str:
    """A string scalar whose first character lands at column ``col``.

    ``indent`` is the scalar's own indent (its parent's plus 2): continuation lines of folded
    scalars and the lines of literal blocks start there. No trailing newline is returned.
    """
    style, body = _lookup(s)
    if body is not None and col + len(body) <= BEST_WIDTH + 1:
        return body
    if style == PLAIN:
        return _fold_plain(s, col, indent)
    if style == SINGLE:
        return _fold_single(s, col, indent)
    if style == DOUBLE:
        return _fold_double(s, col, indent)
    return _literal(s, indent)


def _fold_plain(s: str, col: int, indent: int) -> str:
    parts: list[str] = []
    start, base, last = 0, col, len(s) - 1
    i = s.find(" ")
    while i != -1:
        fold = base + i - start > BEST_WIDTH and i < last and s[i + 1] != " "
        if fold and (i == 0 or s[i - 1] != " "):
            parts.append(s[start:i])
            parts.append("\n" + " " * indent)
            start, base = i + 1, indent
        i = s.find(" ", i + 1)
    parts.append(s[start:])
    return "".join(parts)


def _fold_single(s: str, col: int, indent: int) -> str:
    parts, column, spaces, last = ["'"], col + 1, False, len(s) - 1
    for i, ch in enumerate(s):
        if ch == " ":
            if not spaces and column > BEST_WIDTH and 0 < i < last and s[i + 1] != " ":
                parts.append("\n" + " " * indent)
                column = indent
            else:
                parts.append(" ")
                column += 1
            spaces = True
            continue
        text = "''" if ch == "'" else ch
        parts.append(text)
        column += len(text)
        spaces = False
    parts.append("'")
    return "".join(parts)


def _fold_double(s: str, col: int, indent: int) -> str:
    if s.startswith("\ufeff"):
        return _escape_all(s)
    parts, column, spaces, last = ['"'], col + 1, False, len(s) - 1
    for i, ch in enumerate(s):
        if ch == " ":
            if not spaces and column > BEST_WIDTH and 0 < i < last:
                parts.append("\n" + " " * indent)
                column = indent
                if s[i + 1] == " ":
                    parts.append("\\")
                    column += 1
            else:
                parts.append(" ")
                column += 1
            spaces = True
            continue
        text = _ESCAPE_NEEDED.sub(_escape_char, ch)
        parts.append(text)
        column += len(text)
        spaces = False
    parts.append('"')
    return "".join(parts)


def _block_hints(s: str) -> str:
    hints = "2" if s[0] == " " or s[0] in _BREAKS else ""
    if s[-1] not in _BREAKS:
        return hints + "-"
    if len(s) == 1 or s[-2] in _BREAKS:
        return hints + "+"
    return hints


def _literal(s: str, indent: int) -> str:
    pad = " " * indent
    lines = "\n".join(pad + line if line else "" for line in s.split("\n"))
    if s.endswith("\n"):
        lines = lines[:-1]
    return "|" + _block_hints(s) + "\n" + lines


def render_other(value: Any) -> str:
    """A non-string scalar (None, bool, int, float) as go-yaml v2 writes it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``, as go-yaml v2 writes a float."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer() and abs(value) < 1e21:  # Go's JSON round trip made it an int
        return str(int(value))
    sign, digit_tuple, exponent = decimal.Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digit_tuple))
    digits = text.rstrip("0") or "0"
    point = len(text) + int(exponent)  # where the decimal point falls in ``digits``
    neg = "-" if sign else ""
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{neg}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{digits}"
    return f"{neg}{digits[:point]}.{digits[point:]}"
