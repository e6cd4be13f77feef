"""Block mappings and sequences laid out the way the go-yaml v2 emitter lays them out.

Keys are written in natural order (:mod:`app.gocompat.natural_order`), scalars with the
styles of :mod:`app.gocompat.yaml_emit_scalar`; nodes after ``- `` or ``? `` take the
compact form.  Output is appended to a list of strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.gocompat import yaml_emit_scalar
from app.gocompat.natural_order import ordered_keys


def _emit_map(out: list[str], mapping: dict[str, Any], indent: int, inline: bool) -> None:
    """Block mapping with keys at ``indent``; ``inline``: the first key follows a ``- ``."""
    pad = " " * indent
    for key in ordered_keys(mapping):
        if not inline:
            out.append(pad)
        inline = False
        text = yaml_emit_scalar.render_key(key)
        if text is None:
            _emit_complex_key(out, key, mapping[key], indent)
            continue
        out.append(text)
        out.append(":")
        emit_value(out, mapping[key], indent, indent + len(text) + 1)


def _emit_complex_key(out: list[str], key: str, value: Any, indent: int) -> None:
    out.append("? " + yaml_emit_scalar.render_value(key, indent + 2, indent + 2))
    out.append("\n" + " " * indent + ":")
    emit_item(out, value, indent)


def emit_value(out: list[str], value: Any, indent: int, col: int) -> None:
    """The value of a block-mapping key at ``indent``; ``col`` is the column after ``:``."""
    if isinstance(value, str):
        out.append(" " + yaml_emit_scalar.render_value(value, col + 1, indent + 2) + "\n")
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
        emit_item(out, item, indent)


def emit_item(out: list[str], value: Any, indent: int) -> None:
    """A node in compact position after an indicator (``-`` or ``:``) at column ``indent``."""
    if isinstance(value, str):
        out.append(" " + yaml_emit_scalar.render_value(value, indent + 2, indent + 2) + "\n")
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
    return yaml_emit_scalar.render_other(value)
