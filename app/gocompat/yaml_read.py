"""YAML reading that types scalars the way go-yaml v2 does (as Helm reads YAML).

Differences from PyYAML's YAML 1.1 rules that this takes care of: ``y``/``n`` are
booleans, ``1e3`` and ``0o17`` are numbers, sexagesimal ``1:30`` and timestamps stay
strings, ``=`` is a plain string, anchors may be redefined, mapping keys such as ``1``
and ``true`` stay distinct, and only the first document of a stream is read.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from app.gocompat.scalars import NUMBER_START
from app.gocompat.scalars import WORDS
from app.gocompat.scalars import plain_scalar
from app.gocompat.scalars import short_tag
from app.gocompat.text import format_float32
from app.gocompat.text import go_value

__all__ = ["YamlError", "cyclic_anchor", "parse_first_document"]

_CLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAG = "tag:chartmuseum,2024:go-plain"
_ALIAS_NAME = re.compile(r"\*([0-9A-Za-z_-]+)")
_DUPLICATE_ANCHOR = "found duplicate anchor"
# libyaml stops at 1000 nested levels where go-yaml stops at 10000.
_GO_TEXTS = {"exceeded maximum nesting depth": "exceeded max depth of 10000"}


class YamlError(ValueError):
    """A document go-yaml would refuse; ``str(e)`` follows go-yaml's texts."""


def _json_key(key: Any, value: Any) -> str:
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
        raise YamlError(
            f"unsupported map key of type: %!s(<nil>), key: <nil>, value: {go_value(value)}"
        )
    raise YamlError(f"yaml: invalid map key: {go_value(key)}")


class _GoRules:
    """Typing and mapping construction shared by the C and the pure-Python loaders."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping with JSON keys; ``<<`` merges are applied where they appear."""
        loader: Any = self
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self._merge(mapping, value_node, deep)
                continue
            scalar_key = isinstance(key_node, yaml.ScalarNode)
            key = loader.construct_object(key_node, deep=deep or not scalar_key)
            value = loader.construct_object(value_node, deep=deep)
            mapping[_json_key(key, value)] = value
        return mapping

    def _merge(self, mapping: dict[str, Any], node: yaml.Node, deep: bool) -> None:
        """go-yaml v2's ``<<``: applied in place; within a list, earlier maps win."""
        sources: list[Any] = [node]
        if isinstance(node, yaml.SequenceNode):
            sources = list(node.value)
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise YamlError("yaml: map merge requires map or sequence of maps as the value")
            mapping.update(self.construct_mapping(source, deep))

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """The tag of an untagged node: plain scalars that may not be strings get ours."""
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            if value == "<<":
                return _MERGE_TAG
            if value in WORDS or (value and value[0] in NUMBER_START):
                return _PLAIN_TAG
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


class _CGoLoader(_GoRules, _CLoader):  # type: ignore[valid-type,misc]
    """The fast loader (libyaml when available)."""


class _PyGoLoader(_GoRules, yaml.SafeLoader):
    """The fallback for what libyaml refuses but go-yaml accepts: redefined anchors."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose a node, letting a new anchor replace an older one of the same name."""
        parser: Any = self
        event = parser.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


class _AnchorNames(_PyGoLoader):
    """Composes a document and remembers which node each anchor names."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.names: dict[int, str] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose a node and remember the anchor it carries."""
        parser: Any = self
        event = parser.peek_event()
        node = super().compose_node(parent, index)
        if event.anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.names[id(node)] = event.anchor
        return node


def _cycle_anchor(node: Any, names: dict[int, str], active: set[int], done: set[int]) -> str | None:
    if id(node) in active:
        return names.get(id(node), "")
    if id(node) in done or isinstance(node, yaml.ScalarNode):
        return None
    active.add(id(node))
    children = node.value
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    for child in children:
        found = _cycle_anchor(child, names, active, done)
        if found is not None:
            return found
    active.discard(id(node))
    done.add(id(node))
    return None


def cyclic_anchor(data: bytes) -> str:
    """The name of the first anchor whose value contains an alias to itself."""
    loader: Any = _AnchorNames(data)
    try:
        node = loader.get_node() if loader.check_node() else None
    except yaml.YAMLError:
        return ""
    finally:
        loader.dispose()
    return _cycle_anchor(node, loader.names, set(), set()) or ""


def _construct_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return plain_scalar(node.value)


def _construct_tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """An explicit ``!!int``/``!!float``/``!!bool``/``!!null`` tag, checked as go-yaml does."""
    if not isinstance(node, yaml.ScalarNode):
        return _construct_untyped(loader, node)
    wanted = "!!" + str(node.tag).rsplit(":", 1)[1]
    value = plain_scalar(node.value)
    found = short_tag(value)
    if found == wanted:
        return value
    if wanted == "!!float" and found == "!!int":
        return float(value)
    raise YamlError(f"yaml: cannot decode {found} `{node.value}` as a {wanted}")


def _construct_untyped(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Unknown tags: go-yaml decodes the node by its kind."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return node.value


for _loader in (_CGoLoader, _PyGoLoader):
    _loader.add_constructor(_PLAIN_TAG, _construct_plain)
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_untyped)
    _loader.add_constructor(None, _construct_untyped)
    for _name in ("set", "omap", "pairs"):
        _loader.add_constructor(f"tag:yaml.org,2002:{_name}", _construct_untyped)
    for _name in ("int", "float", "bool", "null"):
        _loader.add_constructor(f"tag:yaml.org,2002:{_name}", _construct_tagged)


def _error_line(exc: yaml.MarkedYAMLError) -> int:
    """The line number go-yaml puts in its message (0-based for parser errors)."""
    problem, context = exc.problem_mark, exc.context_mark
    if problem is not None and problem.line != 0:
        return int(problem.line) + (1 if isinstance(exc, yaml.scanner.ScannerError) else 0)
    if context is not None and context.line != 0:
        return int(context.line)
    return 0


def _undefined_alias(data: bytes, mark: Any) -> str:
    lines = data.decode("utf-8", "replace").split("\n")
    text = lines[mark.line][mark.column :] if mark is not None and mark.line < len(lines) else ""
    match = _ALIAS_NAME.match(text)
    return f"yaml: unknown anchor '{match.group(1) if match else ''}' referenced"


def _error_text(exc: Exception, data: bytes) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"yaml: {exc.reason}"
    if isinstance(exc, yaml.composer.ComposerError) and "undefined alias" in str(exc.problem):
        return _undefined_alias(data, exc.problem_mark)
    if isinstance(exc, yaml.MarkedYAMLError):
        line = _error_line(exc)
        where = f"line {line}: " if line else ""
        problem = exc.problem or exc.context or "unknown problem parsing YAML content"
        return f"yaml: {where}{_GO_TEXTS.get(problem, problem)}"
    if isinstance(exc, RecursionError):
        return "yaml: exceeded max depth of 10000"
    if isinstance(exc, YamlError):
        return str(exc)
    return f"yaml: {exc}"


def _first_document(loader_class: type[yaml.SafeLoader], data: bytes) -> Any:
    loader: Any = loader_class(data)
    try:
        return loader.get_data() if loader.check_data() else None
    finally:
        loader.dispose()


def parse_first_document(data: bytes) -> Any:
    """The first YAML document of ``data`` as Python objects (None when there is none).

    :raises YamlError: with a go-yaml style message.
    """
    errors = (yaml.YAMLError, ValueError, TypeError, RecursionError)
    try:
        return _first_document(_CGoLoader, data)
    except yaml.composer.ComposerError as exc:
        if _DUPLICATE_ANCHOR not in str(exc.problem) + str(exc.context):
            raise YamlError(_error_text(exc, data)) from None
    except errors as exc:
        raise YamlError(_error_text(exc, data)) from None
    try:
        return _first_document(_PyGoLoader, data)
    except errors as exc:
        raise YamlError(_error_text(exc, data)) from None
