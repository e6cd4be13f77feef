"""Go's value syntaxes for flags and env vars: ``strconv`` bools and ints, durations."""

from __future__ import annotations

import re

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False", ""}
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_OCTAL = re.compile(r"[+-]?0[0-7_]+")


def parse_go_bool(text: str) -> bool:
    """``strconv.ParseBool``; the empty string counts as false (as for env vars)."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("parse error")


def parse_go_int(text: str) -> int:
    """``strconv.ParseInt(s, 0, 64)``: decimal, ``0x``, ``0o``, ``0b`` and leading-zero octal."""
    if _OCTAL.fullmatch(text):
        return int(text.replace("_", ""), 8)
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError("parse error") from None


def parse_go_duration(text: str) -> float:
    """``time.ParseDuration``: ``300ms``, ``1.5h``, ``1h30m``, ``0``; returns seconds."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body):
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total
