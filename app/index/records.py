"""The chart-version record of an index entry, with ChartMuseum's fields and JSON key order.

:func:`chart_version_record` turns a chart's ``Chart.yaml`` metadata into the object that
:mod:`app.index.render` serialises (it is re-exported there); free-form values are normalised
as they come back from Go's JSON round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import Final

from app.gocompat.json_encoding import round_trip

__all__ = ["chart_version_record"]


# -- chart-version record (section 4.11) ------------------------------------------------------
def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _strings(value: Any) -> list[str]:
    return [_text(item) for item in value or ()]


def _maintainer(item: Any) -> dict[str, str] | None:
    if not isinstance(item, dict):
        return None
    fields = (("name", item.get("name")), ("email", item.get("email")), ("url", item.get("url")))
    return {key: _text(value) for key, value in fields if value}


def _maintainers(value: Any) -> list[dict[str, str] | None]:
    return [_maintainer(item) for item in value]


def _annotations(value: Any) -> dict[str, str]:
    return {_text(key): _text(value[key]) for key in sorted(value, key=_text)}


def _flag(value: Any) -> bool:
    return value is True


_Converter = Callable[[Any], Any]


def _put(target: dict[str, Any], source: dict[str, Any], key: str, convert: _Converter) -> None:
    value = source.get(key)
    value = convert(value) if value else None
    if value:
        target[key] = value


def _dependency(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    dep: dict[str, Any] = {"name": _text(item.get("name"))}
    _put(dep, item, "version", _text)
    dep["repository"] = _text(item.get("repository"))
    for key, convert in _DEPENDENCY_TAIL:
        _put(dep, item, key, convert)
    return dep


def _dependencies(value: Any) -> list[dict[str, Any] | None]:
    return [_dependency(item) for item in value]


_DEPENDENCY_TAIL: Final[tuple[tuple[str, _Converter], ...]] = (
    ("condition", _text),
    ("tags", _strings),
    ("enabled", _flag),
    ("import-values", round_trip),
    ("alias", _text),
)
_METADATA_FIELDS: Final[tuple[tuple[str, _Converter], ...]] = (
    ("name", _text),
    ("home", _text),
    ("sources", _strings),
    ("version", _text),
    ("description", _text),
    ("keywords", _strings),
    ("maintainers", _maintainers),
    ("icon", _text),
    ("apiVersion", _text),
    ("condition", _text),
    ("tags", _text),
    ("appVersion", _text),
    ("deprecated", _flag),
    ("annotations", _annotations),
    ("kubeVersion", _text),
    ("dependencies", _dependencies),
    ("type", _text),
)


def chart_version_record(
    metadata: dict[str, Any], *, urls: list[str], created: str, digest: str
) -> dict[str, Any]:
    """The chart-version object of section 4.11, keys in ChartMuseum's JSON order.

    Empty fields are left out, except ``urls``, ``created`` and ``digest``; ``apiVersion``
    defaults to ``v1``; ``deprecated`` appears only when true.
    """
    if not metadata.get("apiVersion"):
        metadata = {**metadata, "apiVersion": "v1"}
    record: dict[str, Any] = {}
    for key, convert in _METADATA_FIELDS:
        _put(record, metadata, key, convert)
    record["urls"] = list(urls)
    record["created"] = created
    record["digest"] = digest
    return record
