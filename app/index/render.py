"""Serialisation of index entries and whole indexes, byte-compatible with ChartMuseum.

ChartMuseum writes ``index.yaml`` by JSON-encoding its model and converting that to YAML with
the go-yaml v2 emitter; ``--json-index`` and the API use Go's ``encoding/json``. Emitting YAML
with a generic library is far too slow for large repositories, so each chart-version record is
serialised once into a fragment (:func:`yaml_entry`, :func:`json_entry`) and an index is the
join of those fragments (:func:`render_yaml_index`, :func:`render_json_index`).

The go-yaml and ``encoding/json`` rules themselves live in :mod:`app.gocompat`. The records
are built by :func:`chart_version_record` (from :mod:`app.index.records`), re-exported here.

Fragments are persisted (snapshot, journal, memo): any change to what they contain needs a
bump of :data:`app.index.persisted.FORMAT_VERSION`.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from app.gocompat import yaml_emit_scalar
from app.gocompat.json_encoding import go_json
from app.gocompat.yaml_emit import emit_item
from app.gocompat.yaml_emit import emit_value
from app.index.records import chart_version_record

__all__ = [
    "chart_version_record",
    "json_entry",
    "render_json_index",
    "render_yaml_index",
    "yaml_chart_header",
    "yaml_entry",
]


# -- JSON --------------------------------------------------------------------------------------
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


# -- YAML ----------------------------------------------------------------------------------------
def yaml_entry(record: dict[str, Any]) -> bytes:
    """One chart-version record as an item of its chart's sequence under ``entries:``.

    The first line starts with ``"  - "``, the others are indented by 4 spaces; keys are in
    go-yaml v2's natural order and scalars are quoted exactly where go-yaml v2 quotes them.
    """
    out: list[str] = ["  -"]
    emit_item(out, record, 2)
    return "".join(out).encode()


def yaml_chart_header(name: str) -> bytes:
    """The ``"  <name>:\\n"`` line that opens a chart's list of versions."""
    text = yaml_emit_scalar.render_key(name)
    if text is None:  # a key go-yaml cannot write as a simple key
        return ("  ? " + yaml_emit_scalar.render_value(name, 4, 4) + "\n  :\n").encode()
    return ("  " + text + ":\n").encode()


def _value_line(key: str, value: str, indent: int) -> bytes:
    out: list[str] = [" " * indent, key, ":"]
    emit_value(out, value, indent, indent + len(key) + 1)
    return "".join(out).encode()


def render_yaml_index(chart_blocks: Iterable[bytes], *, generated: str, context_path: str) -> bytes:
    """The whole ``index.yaml``: the charts' bytes (already in natural order) joined.

    Each chart is a :func:`yaml_chart_header` followed by that chart's :func:`yaml_entry`
    fragments, as one block or as separate pieces.
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
