"""Load a chart package exactly as Helm v3's archive loader does (``loader.LoadArchive``)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from app.charts.archive import ArchiveFile
from app.charts.archive import load_archive_files
from app.charts.errors import ChartInvalid
from app.charts.metadata import LOCK
from app.charts.metadata import METADATA
from app.charts.metadata import VALUES
from app.charts.metadata import metadata_view
from app.charts.metadata import validate_metadata
from app.gocompat.unmarshal import unmarshal_yaml
from app.gocompat.unmarshal_types import GoType
from app.gocompat.unmarshal_types import UnmarshalError

__all__ = ["ChartInvalid", "LoadedChart", "load_chart"]

_METADATA_FILES = frozenset({"Chart.yaml", "requirements.yaml", "requirements.lock", "Chart.lock"})
_LOCK_FILES = ("Chart.lock", "requirements.lock")
#: the names ``helm show readme`` looks for, compared without case
README_NAMES = frozenset({"readme.md", "readme.txt", "readme"})


@dataclass(frozen=True)
class LoadedChart:
    """What the server needs from a chart package.

    :ivar metadata: Chart.yaml as Helm's validated ``chart.Metadata`` in its JSON form
        (struct key order, empty fields omitted, strings sanitised).
    :ivar templates: ``(name, data)`` of the top-level chart's ``templates/`` files.
    :ivar values_raw: the top-level ``values.yaml`` bytes (BOM stripped), None if absent.
    :ivar values: the parsed ``values.yaml`` (None if absent, ``{}`` if empty).
    :ivar readme_name: the top-level README's file name (``README.md``), ``""`` if none.
    :ivar readme: its bytes (the first file in archive order named as ``helm show readme``
        looks for), None if absent.
    """

    metadata: dict[str, Any]
    templates: tuple[tuple[str, bytes], ...]
    values_raw: bytes | None
    values: dict[str, Any] | None
    readme_name: str = ""
    readme: bytes | None = None


@dataclass
class _Chart:
    """A chart while it is being loaded (Go: ``chart.Chart``)."""

    metadata: dict[str, Any] | None = None
    templates: list[tuple[str, bytes]] = field(default_factory=list)
    values_raw: bytes | None = None
    values: dict[str, Any] | None = None
    readme: tuple[str, bytes] | None = None
    subcharts: dict[str, list[ArchiveFile]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The (sanitised) chart name, as used in sub-chart error messages."""
        return str((self.metadata or {}).get("name", ""))


def _unmarshal(name: str, data: bytes, target: GoType, existing: Any) -> Any:
    try:
        return unmarshal_yaml(data, target, existing)
    except UnmarshalError as exc:
        raise ChartInvalid(f"cannot load {name}: {exc}") from None


def _read_chart_yaml(chart: _Chart, files: list[ArchiveFile]) -> None:
    for name, data in files:
        if name == "Chart.yaml":
            chart.metadata = _unmarshal(name, data, METADATA, chart.metadata or {})
            if not chart.metadata.get("apiVersion"):
                chart.metadata["apiVersion"] = "v1"


def _go_ext(path: str) -> str:
    """``filepath.Ext``: the suffix from the last dot of the final path element."""
    dot = path.rfind(".")
    return "" if dot < 0 or "/" in path[dot:] else path[dot:]


def _add_subchart_file(chart: _Chart, name: str, data: bytes) -> None:
    if _go_ext(name) == ".prov":
        return
    inner = name[len("charts/") :]
    chart.subcharts.setdefault(inner.split("/", 1)[0], []).append((inner, data))


def _read_file(chart: _Chart, name: str, data: bytes, metadata_only: bool) -> None:
    if name in _LOCK_FILES:
        _unmarshal(name, data, LOCK, None)
        if name == "requirements.lock" and chart.metadata is None:
            chart.metadata = {}
    elif name == "requirements.yaml":
        chart.metadata = _unmarshal(name, data, METADATA, chart.metadata or {})
    elif metadata_only:
        return
    elif name == "values.yaml":
        chart.values = _unmarshal(name, data, VALUES, {})
        chart.values_raw = data
    elif name.startswith("templates/"):
        chart.templates.append((name, data))
    elif name.startswith("charts/"):
        _add_subchart_file(chart, name, data)
    elif chart.readme is None and name.lower() in README_NAMES:
        chart.readme = (name, data)


def _load_subchart(parent: _Chart, name: str, files: list[ArchiveFile]) -> None:
    is_archive = _go_ext(name) == ".tgz"
    if is_archive and files[0][0] != name:
        raise ChartInvalid(
            f"error unpacking subchart tar in {parent.name}: expected {name}, got {files[0][0]}"
        )
    try:
        if is_archive:
            inner = load_archive_files(files[0][1])
        else:
            inner = [(n.split("/", 1)[1], d) for n, d in files if "/" in n]
        _load_files(inner, False)
    except ChartInvalid as exc:
        raise ChartInvalid(f"error unpacking subchart {name} in {parent.name}: {exc}") from None


def _load_files(files: list[ArchiveFile], metadata_only: bool) -> _Chart:
    """Go: ``loader.LoadFiles``."""
    chart = _Chart()
    _read_chart_yaml(chart, files)
    for name, data in files:
        if name != "Chart.yaml":
            _read_file(chart, name, data, metadata_only)
    if chart.metadata is None:
        raise ChartInvalid("Chart.yaml file is missing")
    validate_metadata(chart.metadata)
    for name, sub_files in chart.subcharts.items():
        if name[:1] not in ("_", "."):
            _load_subchart(chart, name, sub_files)
    return chart


def _printable_name(name: str) -> str:
    if name.isascii():
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_chart(data: bytes, *, metadata_only: bool = False) -> LoadedChart:
    """Load and validate a chart package.

    :param data: the package (``.tgz``) bytes.
    :param metadata_only: fast path for indexing: only the files that shape the metadata
        are parsed (``Chart.yaml``, ``requirements.yaml``, lock files); ``values.yaml``,
        templates and sub-charts are neither parsed nor validated, and the returned
        ``templates``/``values_raw``/``values`` are empty.  Archive checks and limits,
        ``Chart.yaml`` presence and metadata validation are unchanged.
    :raises ChartInvalid: with Helm's error message.
    """
    keep = _METADATA_FILES.__contains__ if metadata_only else None
    chart = _load_files(load_archive_files(bytes(data), keep), metadata_only)
    assert chart.metadata is not None
    readme_name, readme = chart.readme or ("", None)
    return LoadedChart(
        metadata=metadata_view(chart.metadata),
        templates=tuple((_printable_name(n), d) for n, d in chart.templates),
        values_raw=chart.values_raw,
        values=chart.values,
        readme_name=_printable_name(readme_name),
        readme=readme,
    )
