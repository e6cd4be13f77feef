"""Chart package file names."""

from __future__ import annotations

PACKAGE_SUFFIX = ".tgz"


def package_filename(name: str, version: str) -> str:
    """The stored object name of a chart version: ``<name>-<version>.tgz``."""
    return f"{name}-{version}{PACKAGE_SUFFIX}"
