"""Fixtures for end-to-end tests: a Helm-made chart."""

from __future__ import annotations

import pytest


@pytest.fixture
def helm_chart(helm, tmp_path) -> str:
    """A chart scaffolded and packaged by Helm itself; returns the .tgz path."""
    src = tmp_path / "src"
    src.mkdir()
    helm.Chart.create("webapp", str(src))
    out = tmp_path / "pkg"
    out.mkdir()
    return str(helm.package(str(src / "webapp"), destination=str(out)))
