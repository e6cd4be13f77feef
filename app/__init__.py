"""ChartMuseum-compatible Helm chart repository server (Flask application package)."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.16.5"


if TYPE_CHECKING:
    from flask import Flask

    from app.options import Config


def create_app(config: Config | None = None) -> Flask:
    """Build the Flask application for ``config`` (defaults when None); see app.factory."""
    from app.factory import create_app as _create_app
    from app.options import Config

    return _create_app(config or Config())
