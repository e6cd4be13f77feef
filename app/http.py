"""Response builders shared by the blueprints (Go-compatible JSON, ChartMuseum's 413)."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.gocompat.json_encoding import go_json

JSON_TYPE = "application/json; charset=utf-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON encoded exactly as ChartMuseum's Go server encodes it."""
    return Response(go_json(body), status=status, headers=headers, content_type=JSON_TYPE)


def too_large_response() -> Response:
    """ChartMuseum's answer when a request body exceeds ``--max-upload-size``."""
    response = Response(b"request too large", status=413)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Connection"] = "close"
    return response
