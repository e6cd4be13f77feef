"""Serialisation of index entries and whole indexes, byte-compatible with ChartMuseum.

ChartMuseum writes ``index.yaml`` by JSON-encoding its model and converting that to YAML with
the go-yaml v2 emitter; ``--json-index`` and the API use Go's ``encoding/json``. Emitting YAML
with a generic library is far too slow for large repositories, so each chart-version record is
serialised once into a fragment (:func:`yaml_entry`, :func:`json_entry`) and an index is the
join of those fragments (:func:`render_yaml_index`, :func:`render_json_index`).

The records themselves are built by :func:`chart_version_record`, which lives in
:mod:`app.index.records` and is re-exported here.

Fragments are persisted (snapshot, journal, memo): any change to what they contain needs a
bump of :data:`app.index.persisted.FORMAT_VERSION`.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any
from typing import Final

from app.index import yamlscalar
from app.index.records import chart_version_record as chart_version_record

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
_INT64_MASK: Final = (1 << 64) - 1
_INT64_SIGN: Final = 1 << 63


# -- JSON --------------------------------------------------------------------------------------
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


def json_entry(record: dict[str, Any]) -> bytes:
    """The JSON fragment of one chart-version record."""
    return go_json(record)


def render_json_index(
    chart_items: Iterable[tuple[str, list[bytes]]], *, generated: str, context_path: str
) -> bytes:
    """The ``--json-index`` body: chart names in the given (byte-wise sorted) order."""
    charts = [go_json(name) + b":[" + b",".join(items) + b"]" for name, items in chart_items]
    server_info = b'{"contextPath":' + go_json(context_path) + b"}" if context_path else b"{}"
    return b"".join(
        (
            b'{"apiVersion":"v1","generated":',
            go_json(generated),
            b',"entries":{',
            b",".join(charts),
            b'},"serverInfo":',
            server_info,
            b"}",
        )
    )


# -- time --------------------------------------------------------------------------------------
def format_time(ts_ns: int, tz: datetime.tzinfo | None = None) -> str:
    """Go ``time.RFC3339Nano`` of ``ts_ns`` (nanoseconds since the epoch).

    The zone is the process's local zone (``TZ``), or ``tz`` when given; ``Z`` for offset 0.
    """
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    if tz is None:
        local = time.localtime(seconds)
        stamp, offset = time.strftime("%Y-%m-%dT%H:%M:%S", local), local.tm_gmtoff
    else:
        moment = datetime.datetime.fromtimestamp(seconds, tz)
        delta = moment.utcoffset()
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
        offset = int(delta.total_seconds()) if delta is not None else 0
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return stamp + fraction + _zone(offset)


def _zone(offset: int) -> str:
    if offset == 0:
        return "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


# -- natural key order (go-yaml v2 sorter.go keyList.Less) -----------------------------------
class _NaturalKey:
    """Sort key comparing strings with go-yaml v2's natural order."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _NaturalKey) -> bool:
        return _natural_less(self.s, other.s)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NaturalKey) and other.s == self.s

    def __hash__(self) -> int:
        return hash(self.s)


def natural_key(s: str) -> Any:
    """Sort key giving go-yaml v2's "natural" mapping-key order (``chart2`` < ``chart10``)."""
    return _NaturalKey(s)


def _digit_run(s: str, i: int, value: int) -> tuple[int, int]:
    """Go's ``for ; unicode.IsDigit(r[i]); i++ { n = n*10 + int64(r[i]-'0') }``."""
    n = len(s)
    while i < n and s[i].isdecimal():
        value = value * 10 + ord(s[i]) - 48
        i += 1
    value &= _INT64_MASK  # int64 wrap-around, as in Go
    return (value ^ _INT64_SIGN) - _INT64_SIGN, i


def _natural_less(a: str, b: str) -> bool:
    if a == b:
        return False
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    if i == n:
        return len(a) < len(b)
    ca, cb = a[i], b[i]
    a_letter, b_letter = ca.isalpha(), cb.isalpha()
    if a_letter and b_letter:
        return ca < cb
    if a_letter or b_letter:
        return b_letter
    start = 0
    if ca == "0" or cb == "0":
        j = i - 1
        while j >= 0 and a[j].isdecimal():
            if a[j] != "0":
                start = 1
                break
            j -= 1
    an, ai = _digit_run(a, i, start)
    bn, bi = _digit_run(b, i, start)
    if an != bn:
        return an < bn
    if ai != bi:
        return ai < bi
    return ca < cb


_ORDER_LIMIT: Final = 50_000
_orders: dict[tuple[str, ...], tuple[str, ...]] = {}


def _ordered_keys(mapping: dict[str, Any]) -> tuple[str, ...]:
    keys = tuple(mapping)
    order = _orders.get(keys)
    if order is None:
        order = tuple(sorted(keys, key=_NaturalKey))
        if len(_orders) >= _ORDER_LIMIT:
            _orders.clear()
        _orders[keys] = order
    return order


# -- YAML ----------------------------------------------------------------------------------------
def _emit_map(out: list[str], mapping: dict[str, Any], indent: int, inline: bool) -> None:
    """Block mapping with keys at ``indent``; ``inline``: the first key follows a ``- ``."""
    pad = " " * indent
    for key in _ordered_keys(mapping):
        if not inline:
            out.append(pad)
        inline = False
        text = yamlscalar.render_key(key)
        if text is None:
            _emit_complex_key(out, key, mapping[key], indent)
            continue
        out.append(text)
        out.append(":")
        _emit_value(out, mapping[key], indent, indent + len(text) + 1)


def _emit_complex_key(out: list[str], key: str, value: Any, indent: int) -> None:
    out.append("? " + yamlscalar.render_value(key, indent + 2, indent + 2))
    out.append("\n" + " " * indent + ":")
    _emit_item(out, value, indent)


def _emit_value(out: list[str], value: Any, indent: int, col: int) -> None:
    """The value of a block-mapping key at ``indent``; ``col`` is the column after ``:``."""
    if isinstance(value, str):
        out.append(" " + yamlscalar.render_value(value, col + 1, indent + 2) + "\n")
    elif isinstance(value, dict) and value:
        out.append("\n")
        _emit_map(out, value, indent + 2, False)
    elif isinstance(value, list | tuple) and value:
        out.append("\n")
        _emit_seq(out, value, indent, False)
    else:
        out.append(" " + _empty_or_scalar(value) + "\n")


def _emit_seq(out: list[str], items: Iterable[Any], indent: int, inline: bool) -> None:
    """Block sequence with ``-`` at ``indent``; ``inline``: the first item is already placed."""
    pad = " " * indent
    for item in items:
        out.append("-" if inline else pad + "-")
        inline = False
        _emit_item(out, item, indent)


def _emit_item(out: list[str], value: Any, indent: int) -> None:
    """A node in compact position after an indicator (``-`` or ``:``) at column ``indent``."""
    if isinstance(value, str):
        out.append(" " + yamlscalar.render_value(value, indent + 2, indent + 2) + "\n")
    elif isinstance(value, dict) and value:
        out.append(" ")
        _emit_map(out, value, indent + 2, True)
    elif isinstance(value, list | tuple) and value:
        out.append(" ")
        _emit_seq(out, value, indent + 2, True)
    else:
        out.append(" " + _empty_or_scalar(value) + "\n")


def _empty_or_scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return yamlscalar.render_other(value)


def yaml_entry(record: dict[str, Any]) -> bytes:
    """One chart-version record as an item of its chart's sequence under ``entries:``.

    The first line starts with ``"  - "``, the others are indented by 4 spaces; keys are in
    go-yaml v2's natural order and scalars are quoted exactly where go-yaml v2 quotes them.
    """
    out: list[str] = ["  -"]
    _emit_item(out, record, 2)
    return "".join(out).encode()


def yaml_chart_header(name: str) -> bytes:
    """The ``"  <name>:\\n"`` line that opens a chart's list of versions."""
    text = yamlscalar.render_key(name)
    if text is None:  # a key go-yaml cannot write as a simple key
        return ("  ? " + yamlscalar.render_value(name, 4, 4) + "\n  :\n").encode()
    return ("  " + text + ":\n").encode()


def _value_line(key: str, value: str, indent: int) -> bytes:
    out: list[str] = [" " * indent, key, ":"]
    _emit_value(out, value, indent, indent + len(key) + 1)
    return "".join(out).encode()


def render_yaml_index(chart_blocks: Iterable[bytes], *, generated: str, context_path: str) -> bytes:
    """The whole ``index.yaml``: the chart blocks (already in natural order) joined.

    Each block is a :func:`yaml_chart_header` followed by that chart's :func:`yaml_entry`
    fragments.
    """
    blocks: Iterator[bytes] = iter(chart_blocks)
    first = next(blocks, None)
    if context_path:
        server_info = b"serverInfo:\n" + _value_line("contextPath", context_path, 2)
    else:
        server_info = b"serverInfo: {}\n"
    generated_line = _value_line("generated", generated, 0)
    if first is None:
        return b"apiVersion: v1\nentries: {}\n" + generated_line + server_info
    parts = [b"apiVersion: v1\nentries:\n", first]
    parts.extend(blocks)
    parts.append(generated_line)
    parts.append(server_info)
    return b"".join(parts)
