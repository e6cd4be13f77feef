"""OpenAPI 3.1 description of the HTTP API, generated from the running configuration.

Served at ``<context-path>/api/openapi.json`` by :mod:`app.blueprints.apidoc`.
"""

from __future__ import annotations

from app.openapi.routes import SPEC_PATH
from app.openapi.spec import build_spec

__all__ = ["SPEC_PATH", "build_spec"]
