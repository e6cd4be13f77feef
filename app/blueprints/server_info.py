"""``/``, ``/health``, ``/info``, ``/artifacthub-repo.yml`` and the welcome page's static files."""

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
from app.http import json_response
from app.options import Config

log = logging.getLogger("chartmuseum")

WELCOME = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to ChartMuseum!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to ChartMuseum!</h1>
<p>If you see this page, the ChartMuseum web server is successfully installed and
working.</p>

<p>For online documentation and support please refer to the
<a href="https://github.com/helm/chartmuseum">GitHub project</a>.<br/>

<p><em>Thank you for using ChartMuseum.</em></p>
</body>
</html>
"""


def make_blueprint(config: Config) -> Blueprint:
    """The info routes; the template folder and Artifact Hub IDs come from ``config``."""
    bp = Blueprint("server_info", __name__)
    template_dir = config.web_template_path

    @requires(PULL)
    def welcome() -> Response:
        if template_dir:
            page = os.path.join(template_dir, "index.html")
            if glob.glob(os.path.join(template_dir, "*.html")):
                if not os.path.isfile(page):
                    return Response(b"", content_type="text/html; charset=utf-8")
                with open(page, encoding="utf-8") as fh:
                    html = render_template_string(fh.read())
                return Response(html, content_type="text/html; charset=utf-8")
            log.warning(
                f"No template files found in {template_dir}, fallback to default welcome page"
            )
        response = Response(WELCOME)
        response.headers["Content-Type"] = "text/html"
        return response

    bp.add_url_rule("/", "welcome", welcome, methods=["GET"])
    if config.context_path:
        bp.add_url_rule("", "welcome_bare", welcome, methods=["GET"])

    @bp.get("/health")
    def health() -> Response:
        return json_response({"healthy": True})

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
