"""``<context-path>/api/openapi.json``: the OpenAPI description of this server.

Open to everyone, like ``/health`` and ``/info``: it holds no repository data, and clients
need it to learn how to authenticate. It stays available with ``--disable-api``, where it
documents the routes that remain. No tenant route can shadow it: API routes need at least
``/api/<tenant>/charts`` (or ``/api/charts``), and repository routes end in ``index.yaml``,
``charts/<file>`` or ``artifacthub-repo.yml``.
"""

from __future__ import annotations

import functools

from flask import Blueprint
from flask import Response

from app.gocompat.json_encoding import go_json
from app.http import JSON_TYPE
from app.openapi import SPEC_PATH
from app.openapi import build_spec
from app.options import Config


def make_blueprint(config: Config) -> Blueprint:
    """Serve the description of ``config`` (built on the first request for it, then kept:
    building it is a fair share of a worker's start)."""
    bp = Blueprint("apidoc", __name__)

    @functools.cache
    def body() -> bytes:
        return go_json(build_spec(config))

    @bp.get(SPEC_PATH)
    def openapi() -> Response:
        return Response(body(), content_type=JSON_TYPE)

    return bp
