"""A fast reader for the plain block-YAML shape that nearly every chart file has.

It accepts only documents whose meaning is beyond doubt: block mappings of plain keys,
block sequences, and single-line scalars (plain, single-quoted, or double-quoted without
escapes, plus the empty ``[]`` and ``{}``), with comments and blank lines anywhere.  For
those it returns exactly what :func:`app.charts.goyaml.parse_first_document` returns;
anything else (anchors, tags, merge keys, flow collections, block or multi-line scalars,
several documents, tabs, odd characters, ...) raises :class:`NotSimple` so that the
caller can fall back to the general reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.charts.goscalar import NUMBER_START
from app.charts.goscalar import WORDS
from app.charts.goscalar import plain_scalar

__all__ = ["NotSimple", "parse_simple"]

_KEY = r"[A-Za-z0-9_/][A-Za-z0-9_./-]*"
# indentation, "- " of a sequence entry, "key:" of a mapping entry, the rest of the line.
_LINE = re.compile(rf"^( *)(- +)?(?:({_KEY}):(?: +|$))?(.*?) *$", re.MULTILINE)
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)"(?: +#.*)?')
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'(?: +#.*)?")
_EMPTY_FLOW = re.compile(r"(\[\]|\{\})(?: +#.*)?")
_INDICATORS = frozenset("-?:,[]{}#&*!|>%@`")
_MAX_KEY = 1000
_MAX_DEPTH = 64

Line = tuple[int, str, str, str]


class NotSimple(Exception):
    """The document is not in the simple shape; the general reader must decide."""


def _scalar(text: str) -> Any:
    """The value of a one-line scalar (``text`` is stripped and not a comment)."""
    first = text[0]
    if first == '"':
        match = _DOUBLE_QUOTED.fullmatch(text)
        if match is None:
            raise NotSimple
        return match.group(1)
    if first == "'":
        match = _SINGLE_QUOTED.fullmatch(text)
        if match is None:
            raise NotSimple
        return match.group(1).replace("''", "'")
    if first in _INDICATORS:
        if first in "[{" and (match := _EMPTY_FLOW.fullmatch(text)) is not None:
            return [] if match.group(1) == "[]" else {}
        raise NotSimple
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut].rstrip(" ")
    if ": " in text or text[-1] == ":":
        raise NotSimple
    return plain_scalar(text)


def _key(text: str) -> str:
    if len(text) > _MAX_KEY:
        raise NotSimple
    if text in WORDS or text[0] in NUMBER_START:
        value = plain_scalar(text)
        if type(value) is not str:
            raise NotSimple
    return text


class _Reader:
    """Recursive descent over the significant lines of a document."""

    def __init__(self, lines: list[Line], pos: int) -> None:
        self.lines = lines
        self.pos = pos
        self.depth = 0

    def _value(self, rest: str, indent: int, in_mapping: bool) -> Any:
        """The value after ``key:`` or ``- `` (``rest`` is the rest of that line)."""
        lines = self.lines
        pos = self.pos
        if rest and rest[0] != "#":
            value = _scalar(rest)
            if pos < len(lines) and lines[pos][0] > indent:
                raise NotSimple  # a multi-line scalar, or an error
            return value
        if pos < len(lines):
            column, dash, key, _ = lines[pos]
            if column > indent or (column == indent and dash and in_mapping):
                if dash:
                    return self._nested(self._sequence, column)
                if key:
                    return self._nested(self._mapping, column)
                raise NotSimple
        return None

    def _nested(self, reader: Callable[[int], Any], column: int) -> Any:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise NotSimple
        value = reader(column)
        self.depth -= 1
        return value

    def _mapping(self, indent: int) -> dict[str, Any]:
        lines = self.lines
        count = len(lines)
        mapping: dict[str, Any] = {}
        while self.pos < count:
            column, dash, key, rest = lines[self.pos]
            if column != indent:
                if column > indent:
                    raise NotSimple
                break
            if dash or not key:
                raise NotSimple
            self.pos += 1
            mapping[_key(key)] = self._value(rest, indent, True)
        return mapping

    def _sequence(self, indent: int) -> list[Any]:
        lines = self.lines
        count = len(lines)
        items: list[Any] = []
        while self.pos < count:
            column, dash, key, rest = lines[self.pos]
            if column != indent or not dash:
                if column > indent:
                    raise NotSimple
                break
            if key:
                inner = column + len(dash)
                lines[self.pos] = (inner, "", key, rest)
                items.append(self._mapping(inner))
            elif not rest or rest[0] == "#":
                raise NotSimple
            else:
                self.pos += 1
                items.append(self._value(rest, indent, False))
        return items

    def document(self) -> dict[str, Any]:
        """The top-level mapping, which must take up every line."""
        first = self.lines[self.pos]
        if first[0] or first[1] or not first[2]:
            raise NotSimple
        mapping = self._mapping(0)
        if self.pos != len(self.lines):
            raise NotSimple
        return mapping


def parse_simple(data: bytes) -> dict[str, Any]:
    """The first (and only) document of ``data``, a block mapping in the simple shape.

    :raises NotSimple: when the document has any other shape or content.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotSimple from None
    if not text.replace("\n", "").isprintable():
        raise NotSimple
    lines = [
        (len(indent), dash, key, rest)
        for indent, dash, key, rest in _LINE.findall(text)
        if dash or key or (rest and rest[0] != "#")
    ]
    start = 1 if lines and lines[0] == (0, "", "", "---") else 0
    if start >= len(lines):
        raise NotSimple
    return _Reader(lines, start).document()
