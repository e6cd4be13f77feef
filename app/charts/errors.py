"""The error raised for a package that Helm's chart loader would refuse."""

from __future__ import annotations


class ChartInvalid(ValueError):
    """A chart package that Helm would not load; ``str(e)`` is Helm's exact message."""
