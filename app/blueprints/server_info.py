"""``/health``, ``/info``, and the ``--web-template-path`` page and its static files.

The page itself is served at ``/`` by the web UI (:mod:`app.blueprints.ui`), which it
replaces.
"""

from __future__ import annotations

import glob
import logging
import os

from flask import Blueprint
from flask import Response
from flask import render_template_string
from flask import send_from_directory

from app import __version__
from app.auth import PULL
from app.auth import requires
from app.errors import NotFound
from app.gocompat.json_encoding import go_json
from app.http import JSON_TYPE
from app.http import json_response
from app.options import Config

log = logging.getLogger("chartmuseum")

HEALTHY = go_json({"healthy": True})  # /health answers these bytes every time


def template_page(template_dir: str) -> Response | None:
    """The ``--web-template-path`` page, rendered as ChartMuseum renders it; None when the
    folder holds no ``*.html`` file any more (the caller then shows its own page)."""
    page = os.path.join(template_dir, "index.html")
    if glob.glob(os.path.join(template_dir, "*.html")):
        if not os.path.isfile(page):
            return Response(b"", content_type="text/html; charset=utf-8")
        with open(page, encoding="utf-8") as fh:
            html = render_template_string(fh.read())
        return Response(html, content_type="text/html; charset=utf-8")
    log.warning(f"No template files found in {template_dir}, fallback to default welcome page")
    return None


def make_blueprint(config: Config) -> Blueprint:
    """The info routes, and the static files of ``--web-template-path`` when set."""
    bp = Blueprint("server_info", __name__)
    template_dir = config.web_template_path

    @bp.get("/health")
    def health() -> Response:
        return Response(HEALTHY, content_type=JSON_TYPE)

    @bp.get("/info")
    def info() -> Response:
        return json_response({"version": __version__})

    if template_dir:

        @bp.get("/static/<path:filename>")
        @requires(PULL)
        def static_file(filename: str) -> Response:
            folder = os.path.join(template_dir, "static")
            if not os.path.isdir(folder):
                raise NotFound("object not found")
            return send_from_directory(folder, filename)

    return bp
