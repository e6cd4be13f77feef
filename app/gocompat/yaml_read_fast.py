"""A fast reader for the plain block-YAML shape that nearly every chart file has.

It accepts only documents whose meaning is beyond doubt: block mappings of plain keys,
block sequences, and single-line scalars (plain, single-quoted, or double-quoted without
escapes, plus the empty ``[]`` and ``{}``), with comments and blank lines anywhere.  For
those it returns exactly what :func:`app.gocompat.yaml_read.parse_first_document` returns;
anything else (anchors, tags, merge keys, flow collections, block or multi-line scalars,
several documents, tabs, odd characters, ...) raises :class:`NotSimple` so that the
caller can fall back to the general reader.
"""

from __future__ import annotations

import re
from typing import Any

from app.gocompat.scalars import NUMBER_START
from app.gocompat.scalars import WORDS
from app.gocompat.scalars import plain_scalar

__all__ = ["NotSimple", "parse_simple"]

_KEY = r"[A-Za-z_/][A-Za-z0-9_./-]*+"
_MAX_KEY = 1000  # libyaml refuses simple keys of more than 1024 characters
# indentation, "- " of a sequence entry, "key:" of a mapping entry, the rest of the line.
_PARTS = rf"( *+)(- ++)?(?:({_KEY}):(?: ++|$))?(.*)"
_LINE = re.compile("^" + _PARTS, re.MULTILINE)
# The same, passing over blank and comment lines first (faster when there are many).
_LINE_AFTER_COMMENTS = re.compile(r"^(?: *+(?:#.*+)?\n)*+" + _PARTS, re.MULTILINE)
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)"(?: +#.*| *)')
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'(?: +#.*| *)")
_EMPTY_FLOW = re.compile(r"(\[\]|\{\})(?: +#.*| *)")
_SPECIAL = frozenset("-?:,[]{}#&*!|>%@`'\"")
_MAX_DEPTH = 64
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\n"

Line = tuple[int, str, str, str]


class NotSimple(Exception):
    """The document is not in the simple shape; the general reader must decide."""


def _special(text: str) -> Any:
    """A quoted scalar or an empty flow collection."""
    first = text[0]
    if first == '"':
        match = _DOUBLE_QUOTED.fullmatch(text)
        if match is not None:
            return match.group(1)
    elif first == "'":
        match = _SINGLE_QUOTED.fullmatch(text)
        if match is not None:
            return match.group(1).replace("''", "'")
    elif first in "[{":
        match = _EMPTY_FLOW.fullmatch(text)
        if match is not None:
            return [] if match.group(1) == "[]" else {}
    raise NotSimple


def _scalar(text: str) -> Any:
    """The value of a one-line scalar (``text`` starts the value and is not a comment)."""
    first = text[0]
    if first in _SPECIAL:
        return _special(text)
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    if text[-1] == " ":
        text = text.rstrip(" ")
    if text[-1] == ":" or ": " in text:
        raise NotSimple  # a mapping where none may start, or another problem
    return _resolve(text)


def _resolve(text: str) -> Any:
    """What go-yaml makes of a plain scalar without comment or surrounding spaces."""
    if text in WORDS:
        return WORDS[text]
    if text[0] not in NUMBER_START or text.count(".") > 1:
        return text  # (with two dots, neither an integer nor a float)
    return plain_scalar(text)


class _NeedsLines(Exception):
    """A multi-line or literal scalar: read again, keeping track of the text's lines."""


class _Reader:
    """Recursive descent over the significant lines of a document.

    Without ``raw`` (the text's lines) and ``numbers`` (the line number of each entry of
    ``lines``), scalars are single lines and :class:`_NeedsLines` says when they are not.
    """

    def __init__(
        self, lines: list[Line], raw: list[str] | None = None, numbers: list[int] | None = None
    ) -> None:
        self.lines = lines
        self.raw = raw
        self.numbers = numbers

    def mapping(self, pos: int, indent: int, depth: int) -> tuple[dict[str, Any], int]:
        """The block mapping whose keys are at column ``indent`` from ``lines[pos]``."""
        if depth > _MAX_DEPTH:
            raise NotSimple
        lines = self.lines
        count = len(lines)
        mapping: dict[str, Any] = {}
        last = ""  # the last key, while its value is a plain scalar that may go on
        while pos < count:
            column, dash, key, rest = lines[pos]
            if column != indent:
                if column <= indent:
                    break
                if not last:
                    raise NotSimple
                mapping[last], pos = self._continued(pos, indent)
                last = ""
                continue
            if dash or not key or key in WORDS or len(key) > _MAX_KEY:
                raise NotSimple
            pos += 1
            last = ""
            if rest and rest[0] != "#":
                # _scalar(rest), inlined for the usual plain text, word or number
                if rest[0] in _SPECIAL or rest[-1] in ": " or " #" in rest or ": " in rest:
                    if rest[0] == "|":
                        mapping[key], pos = self._literal(pos, rest, indent)
                    else:
                        mapping[key] = _scalar(rest)
                        last = key if rest[0] not in _SPECIAL else ""
                else:
                    mapping[key] = _resolve(rest)
                    last = key
                continue
            value: Any = None
            if pos < count:
                column, dash, inner_key, _ = lines[pos]
                if column > indent or (column == indent and dash):
                    if dash:
                        value, pos = self.sequence(pos, column, depth + 1)
                    elif inner_key:
                        value, pos = self.mapping(pos, column, depth + 1)
                    else:
                        raise NotSimple
            mapping[key] = value
        return mapping, pos

    def sequence(self, pos: int, indent: int, depth: int) -> tuple[list[Any], int]:
        """The block sequence whose ``-`` are at column ``indent`` from ``lines[pos]``."""
        if depth > _MAX_DEPTH:
            raise NotSimple
        lines = self.lines
        count = len(lines)
        items: list[Any] = []
        plain = False  # whether the last item is a plain scalar that may go on
        while pos < count:
            column, dash, key, rest = lines[pos]
            if column != indent or not dash:
                if column <= indent:
                    break
                if not plain:
                    raise NotSimple
                items[-1], pos = self._continued(pos, indent)
                plain = False
            elif key:
                inner = column + len(dash)
                lines[pos] = (inner, "", key, rest)
                item, pos = self.mapping(pos, inner, depth + 1)
                items.append(item)
                plain = False
            elif rest and rest[0] != "#":
                items.append(_scalar(rest))
                plain = rest[0] not in _SPECIAL
                pos += 1
            else:
                raise NotSimple
        return items, pos

    def _skip_to(self, pos: int, line: int) -> int:
        """The first entry from ``pos`` on that is not before line number ``line``."""
        numbers = self.numbers
        assert numbers is not None
        while pos < len(numbers) and numbers[pos] < line:
            pos += 1
        return pos

    def _continued(self, pos: int, indent: int) -> tuple[Any, int]:
        """A plain scalar going on over more lines (folded), from entry ``pos - 1`` on."""
        raw, numbers = self.raw, self.numbers
        if raw is None or numbers is None:
            raise _NeedsLines
        text = self.lines[pos - 1][3]  # the scalar's start, the rest of the entry's line
        if " #" in text:
            raise NotSimple  # a comment, then more
        parts = [text.rstrip(" ")]
        breaks = 0
        number = numbers[pos - 1] + 1
        while number < len(raw):
            line = raw[number]
            content = line.strip(" ")
            if not content:
                breaks += 1
            elif len(line) - len(line.lstrip(" ")) <= indent:
                break
            elif content[0] in _SPECIAL or " #" in content or ": " in content or content[-1] == ":":
                raise NotSimple
            else:
                parts.append("\n" * breaks if breaks else " ")
                parts.append(content)
                breaks = 0
            number += 1
        return _resolve("".join(parts)), self._skip_to(pos, number - breaks)

    def _literal(self, pos: int, header: str, indent: int) -> tuple[str, int]:
        """A ``|`` or ``|-`` literal block scalar, from entry ``pos - 1`` on."""
        raw, numbers = self.raw, self.numbers
        if raw is None or numbers is None:
            raise _NeedsLines
        header = header.rstrip(" ")
        if header not in ("|", "|-"):
            raise NotSimple
        start = numbers[pos - 1] + 1
        number = start
        while number < len(raw) and not raw[number]:
            number += 1
        if number == len(raw):
            raise NotSimple
        column = len(raw[number]) - len(raw[number].lstrip(" "))
        if column <= indent:
            raise NotSimple  # an empty scalar
        margin = " " * column
        last = number
        while number < len(raw):
            line = raw[number]
            if line:
                if not line.strip(" "):
                    raise NotSimple  # spaces only: they may or may not be content
                if not line.startswith(margin):
                    break
                last = number
            number += 1
        text = "\n".join(line[column:] for line in raw[start : last + 1])
        if header == "|" and last + 1 < len(raw):
            text += "\n"
        return text, self._skip_to(pos, last + 1)


def _significant(pattern: re.Pattern[str], text: str) -> list[Line]:
    return [
        (len(indent), dash, key, rest)
        for indent, dash, key, rest in pattern.findall(text)
        if dash or key or (rest and rest[0] != "#")
    ]


def _read(reader: _Reader) -> dict[str, Any]:
    lines = reader.lines
    start = 1 if lines and lines[0] == (0, "", "", "---") else 0
    if start >= len(lines):
        raise NotSimple
    mapping, pos = reader.mapping(start, 0, 0)
    if pos != len(lines):
        raise NotSimple
    return mapping


def parse_simple(data: bytes) -> dict[str, Any]:
    """The first (and only) document of ``data``, a block mapping in the simple shape.

    :raises NotSimple: when the document has any other shape or content.
    """
    if data.isascii():
        if data.translate(None, _PRINTABLE_ASCII):
            raise NotSimple  # control characters (tabs and carriage returns among them)
        text = data.decode("ascii")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotSimple from None
        if not text.replace("\n", "").isprintable():
            raise NotSimple
    try:
        return _read(_Reader(_significant(_LINE_AFTER_COMMENTS if "#" in text else _LINE, text)))
    except _NeedsLines:
        pass
    raw = text.split("\n")
    matches = _LINE.findall(text)
    if len(matches) != len(raw):
        raise NotSimple  # (one match a line is what the line numbers rely on)
    numbered = [
        (number, (len(indent), dash, key, rest))
        for number, (indent, dash, key, rest) in enumerate(matches)
        if dash or key or (rest and rest[0] != "#")
    ]
    lines = [line for _, line in numbered]
    return _read(_Reader(lines, raw, [number for number, _ in numbered]))
