"""Chart package file names: building them, and guessing name/version back from them."""

from __future__ import annotations

from app.charts.gofmt import go_base

PACKAGE_SUFFIX = ".tgz"


def package_filename(name: str, version: str) -> str:
    """The stored object name of a chart version: ``<name>-<version>.tgz``."""
    return f"{name}-{version}{PACKAGE_SUFFIX}"


def _starts_with_digit(part: str) -> bool:
    return "0" <= part[:1] <= "9"


def split_chart_filename(filename: str) -> tuple[str, str]:
    """ChartMuseum's guess of ``(name, version)`` from a package file name.

    The ``.tgz`` suffix is removed and the rest split on ``-``; scanning from the last
    piece back to the second, the first piece starting with a digit begins the version.
    Without such a piece the last piece is the version.  A name without ``-`` therefore
    gives an empty name: ``mychart-1.0.4-SNAPSHOT.tgz`` -> ``("mychart", "1.0.4-SNAPSHOT")``,
    ``my-chart-crapversion.tgz`` -> ``("my-chart", "crapversion")``.
    """
    stem = go_base(filename)
    if stem.endswith(PACKAGE_SUFFIX):
        stem = stem[: -len(PACKAGE_SUFFIX)]
    parts = stem.split("-")
    for index in range(len(parts) - 1, 0, -1):
        if _starts_with_digit(parts[index]):
            return "-".join(parts[:index]), "-".join(parts[index:])
    return "-".join(parts[:-1]), parts[-1]
