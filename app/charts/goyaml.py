"""YAML reading that resolves plain scalars the way go-yaml v2 does (as Helm reads YAML).

Differences from PyYAML's YAML 1.1 resolver that this takes care of: ``y``/``n`` are
booleans, ``1e3`` and ``0o17`` are numbers, sexagesimal ``1:30`` and timestamps stay
strings, ``=`` is a plain string, and only the first document of a stream is read.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from app.charts.gofmt import format_float32

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAG = "tag:chartmuseum,2024:go-plain"
_NUMBER_START = frozenset("0123456789+-.")
_WORDS: dict[str, Any] = {
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
_INT64_MIN = -(1 << 63)
_UINT64_END = 1 << 64
_TIME_FORMAT_RE = re.compile(r"[0-9]{4}-")


# go-yaml v2 was ported from libyaml 0.1; newer libyaml words a few problems differently.
_LIBYAML_0_1_TEXTS = {
    "found a tab character that violates indentation": "found character that cannot start any token",
}


class YamlError(ValueError):
    """A document go-yaml would refuse; ``str(e)`` follows go-yaml's ``yaml: ...`` texts."""


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
    if _INT64_MIN <= value < _UINT64_END and (value < 1 << 63 or not sign):
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
    if _GO_INT.fullmatch(plain):  # out of 64-bit range but well formed: a big integer
        sign, digits = _GO_INT.fullmatch(plain).groups()  # type: ignore[union-attr]
        return _big_int(sign, digits)
    return text


def _big_int(sign: str, digits: str) -> int:
    base = _BASES.get(digits[1].lower(), 8) if len(digits) > 1 and digits[0] == "0" else 10
    body = digits[2:] if base != 8 or digits[1] in "oO" else digits[1:]
    value = int(body if base != 10 else digits, base)
    return -value if sign == "-" else value


def plain_scalar(text: str) -> Any:
    """The value go-yaml v2 gives an untagged, unquoted scalar."""
    if text in _WORDS:
        return _WORDS[text]
    if text and text[0] in _NUMBER_START:
        return _go_number(text)
    return text


class _GoLoader(_Loader):  # type: ignore[valid-type,misc]
    """A (C)SafeLoader whose implicit typing follows go-yaml v2.

    Mapping keys are turned into JSON object keys while the mapping is built, so that
    keys such as ``1`` and ``true`` stay distinct, as they are in Go.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            value = self.construct_object(value_node, deep=deep)
            mapping[go_key(key, value)] = value
        return mapping

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return STR_TAG
            if value == "<<":
                return _MERGE_TAG
            if value in _WORDS or (value and value[0] in _NUMBER_START):
                return _PLAIN_TAG
            return STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


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
        raise YamlError(f"unsupported map key of type: %!s(<nil>), key: <nil>, value: {value!r}")
    raise YamlError(f"yaml: invalid map key: {key!r}")


def _construct_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return plain_scalar(node.value)


def _construct_untyped(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Unknown tags: go-yaml decodes the node by its kind."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return node.value


def _construct_raw_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return node.value


_GoLoader.add_constructor(_PLAIN_TAG, _construct_plain)
_GoLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_raw_scalar)
_GoLoader.add_constructor(None, _construct_untyped)
for _tag in ("set", "omap", "pairs"):
    _GoLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_untyped)


def _error_line(exc: yaml.MarkedYAMLError) -> int:
    """The line number go-yaml puts in its message (0-based for parser errors)."""
    problem, context = exc.problem_mark, exc.context_mark
    if problem is not None and problem.line != 0:
        return int(problem.line) + (1 if isinstance(exc, yaml.scanner.ScannerError) else 0)
    if context is not None and context.line != 0:
        return int(context.line)
    return 0


def _error_text(exc: Exception) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"yaml: {exc.reason}"
    if isinstance(exc, yaml.MarkedYAMLError):
        line = _error_line(exc)
        where = f"line {line}: " if line else ""
        problem = exc.problem or exc.context or "unknown problem parsing YAML content"
        return f"yaml: {where}{_LIBYAML_0_1_TEXTS.get(problem, problem)}"
    if isinstance(exc, RecursionError):
        return "yaml: exceeded max depth of 10000"
    if isinstance(exc, YamlError):
        return str(exc)
    return f"yaml: {exc}"


def parse_first_document(data: bytes) -> Any:
    """The first YAML document of ``data`` as Python objects (None when there is none).

    :raises YamlError: with a go-yaml style message.
    """
    loader = _GoLoader(data)
    try:
        return loader.get_data() if loader.check_data() else None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlError(_error_text(exc)) from None
    finally:
        loader.dispose()
