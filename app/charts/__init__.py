"""Chart packages: loading and validation (as Helm does it), file names, provenance files."""

from __future__ import annotations

from app.charts.errors import ChartInvalid

__all__ = ["ChartInvalid"]
