"""What happens around every request: request id, access log, CORS, body size limit."""

from __future__ import annotations

import itertools
import logging
import time

from flask import Flask
from flask import Response
from flask import g
from flask import request

from app.bodylimit import limit_bodies
from app.options import Config
from app.requestid import HEADER
from app.requestid import request_id

log = logging.getLogger("chartmuseum")


def client_ip() -> str:
    """First X-Forwarded-For address, then X-Real-IP, then the peer address."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.headers.get("X-Real-IP", "") or request.remote_addr or ""


def _latency(seconds: float, as_integer: bool) -> str | int:
    nanos = int(seconds * 1e9)
    if as_integer:
        return nanos
    if nanos < 1000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return f"{nanos / 1000:g}µs"
    if nanos < 1_000_000_000:
        return f"{nanos / 1e6:g}ms"
    return f"{nanos / 1e9:g}s"


def init_pipeline(app: Flask, config: Config) -> None:
    """Install the request hooks on ``app``."""
    counter = itertools.count(1)
    app.wsgi_app = limit_bodies(app.wsgi_app, config.max_upload_size)  # type: ignore[method-assign]

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.count = next(counter)
        g.request_id = request_id(request.headers.get(HEADER))
        if config.log_health or not request.path.endswith("/health"):
            fields = {"reqID": g.request_id}
            log.debug(f"[{g.count}] Incoming request: {request.path}", extra={"fields": fields})

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[HEADER] = g.get("request_id") or request_id(None)
        if config.cors_alloworigin and _is_api_path(config.context_path):
            response.headers["Access-Control-Allow-Origin"] = config.cors_alloworigin
        _log_request(response.status_code, config)
        return response


def _is_api_path(context_path: str) -> bool:
    path = request.path[len(context_path) :] if context_path else request.path
    return path.startswith("/api/") and not path.endswith((".yaml", ".tgz", ".prov"))


def _log_request(status: int, config: Config) -> None:
    if status in (200, 201, 202, 204, 304):  # 202/204: the registry's uploads and status
        if request.path.endswith("/health") and not config.log_health:
            return
        level = logging.INFO
    else:
        level = logging.WARNING if status == 404 else logging.ERROR
    started = g.get("started", time.perf_counter())
    fields = {
        "path": request.path,
        "comment": g.get("comment", ""),
        "clientIP": client_ip(),
        "method": request.method,
        "statusCode": status,
        "latency": _latency(time.perf_counter() - started, config.log_latency_integer),
        "reqID": g.get("request_id", ""),
    }
    log.log(level, f"[{g.get('count', 0)}] Request served", extra={"fields": fields})
