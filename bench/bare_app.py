"""``python -m bench.bare_app --port P [--listen-host H]``: the reference for the /health
figure. A minimal Flask app answering ``GET /health`` with the same bytes and Content-Type as
our server, run by gunicorn with exactly our settings: the settings come from
``app.server.gunicorn_settings`` applied to the configuration ``chartmuseum`` would build from
the same flags and environment (worker class ``app.worker.BufferingWorker``, workers,
threads, keep-alive, timeouts, log level), so the two differ only in what runs per request.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask import Response
from gunicorn.app.base import BaseApplication

HEALTHY = b'{"healthy":true}'
JSON_TYPE = "application/json; charset=utf-8"


def create_app() -> Flask:
    """The bare app: one route, pre-built bytes."""
    app = Flask("bare")

    @app.get("/health")
    def health() -> Response:
        return Response(HEALTHY, content_type=JSON_TYPE)

    return app


def settings(argv: Sequence[str]) -> dict[str, Any]:
    """Our server's gunicorn settings for the ``chartmuseum`` flags ``argv``."""
    from app.config import load_config
    from app.server import gunicorn_settings
    from app.startup import normalise

    config = normalise(load_config(list(argv), os.environ))
    return {**gunicorn_settings(config), "proc_name": "bare-flask"}


class BareServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running :func:`create_app` in each worker (no preload, like ours)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the bare app until SIGTERM."""
    options = settings(sys.argv[1:] if argv is None else argv)
    sys.argv = sys.argv[:1]  # gunicorn must not re-parse the flags
    BareServer(options).run()


if __name__ == "__main__":
    main()
