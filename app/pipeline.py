"""What happens around every request: request id, access log, CORS, body size limit, and
the client's address behind a proxy.

This runs on every request, the cheapest ones included (``/health``, a cached
``index.yaml``), so it is one WSGI middleware rather than Flask hooks or a stack of
middlewares: it numbers the request, gives it its id, caps its body and reads the
``X-Forwarded-*`` headers on the way in, and adds the headers and writes the access log when
the application starts its response (Flask's request context is still active then). It reads
what it needs from the WSGI environ, and builds a log record only when its level is enabled.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask import g
from flask import has_app_context
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_path_info

from app.bodylimit import limit_body
from app.options import Config
from app.requestid import HEADER
from app.requestid import request_id

log = logging.getLogger("chartmuseum")

STARTED = "chartmuseum.started"
"""The environ key of the request's arrival time (``time.perf_counter``)."""

_REQUEST_ID = "HTTP_X_REQUEST_ID"  # the X-Request-Id header in the WSGI environ
_HEALTH = "/health"
# the access log's level by status: 202 and 204 are the registry's; any other is an ERROR
_LEVELS = dict.fromkeys(("200", "201", "202", "204", "304"), logging.INFO) | {
    "404": logging.WARNING
}
_FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def client_ip() -> str:
    """First X-Forwarded-For address, then X-Real-IP, then the peer address."""
    return _client_ip(request.environ)


def request_started() -> float:
    """When the current request arrived (``time.perf_counter``)."""
    return float(request.environ.get(STARTED, 0.0))


def _client_ip(environ: dict[str, Any]) -> str:
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return str(forwarded).split(",")[0].strip()
    return str(environ.get("HTTP_X_REAL_IP", "") or environ.get("REMOTE_ADDR") or "")


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


def _is_health(environ: dict[str, Any]) -> bool:
    """Whether the request is for ``/health`` (under any context path): read from the raw
    path, which ends the same way as the decoded one since the ending is ASCII."""
    return str(environ.get("PATH_INFO", "")).endswith(_HEALTH)


def _path(environ: dict[str, Any]) -> str:
    """The request path exactly as Flask's ``request.path`` reads it."""
    return "/" + get_path_info(environ).lstrip("/")


def init_pipeline(app: Flask, config: Config) -> None:
    """Wrap ``app``'s WSGI application: request ids, access log, CORS, body size limit,
    ``X-Forwarded-*``."""
    app.wsgi_app = Pipeline(app.wsgi_app, config)  # type: ignore[method-assign]


class Pipeline:
    """The middleware around every request (see the module's description)."""

    def __init__(self, wsgi_app: WSGIApp, config: Config) -> None:
        self.wsgi_app = wsgi_app
        # the client, scheme, host and port from the first hop of the X-Forwarded-* headers,
        # only when one is there (werkzeug's ProxyFix)
        self.behind_proxy = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)
        self.config = config
        self.quiet_health = not config.log_health
        self._counter = itertools.count(1)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = environ[STARTED] = time.perf_counter()
        count = next(self._counter)
        req_id = request_id(environ.get(_REQUEST_ID))
        if log.isEnabledFor(logging.DEBUG):
            self._log_incoming(environ, count, req_id)
        limit_body(environ, self.config.max_upload_size)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((HEADER, req_id))
            cors = self.config.cors_alloworigin
            if cors and _is_api_path(_path(environ), self.config.context_path):
                headers = _with_header(headers, "Access-Control-Allow-Origin", cors)
            level = _LEVELS.get(status[:3], logging.ERROR)
            quiet = level == logging.INFO and self.quiet_health and _is_health(environ)
            if not quiet and log.isEnabledFor(level):
                self._log_served(environ, level, status, started, count, req_id)
            return start_response(status, headers, exc_info)

        if environ.keys().isdisjoint(_FORWARDED):
            return self.wsgi_app(environ, start)
        return self.behind_proxy(environ, start)

    def _log_incoming(self, environ: dict[str, Any], count: int, req_id: str) -> None:
        if not (self.quiet_health and _is_health(environ)):
            fields = {"reqID": req_id}
            log.debug(f"[{count}] Incoming request: {_path(environ)}", extra={"fields": fields})

    def _log_served(
        self,
        environ: dict[str, Any],
        level: int,
        status: str,
        started: float,
        count: int,
        req_id: str,
    ) -> None:
        path = _path(environ)
        fields = {
            "path": path,
            "comment": g.get("comment", "") if has_app_context() else "",
            "clientIP": _client_ip(environ),
            "method": environ.get("REQUEST_METHOD", "GET").upper(),
            "statusCode": int(status[:3]),
            "latency": _latency(time.perf_counter() - started, self.config.log_latency_integer),
            "reqID": req_id,
        }
        # built directly: Logger.log would also walk the stack for the caller's source line,
        # which no formatter of ours prints (once per request, it is a visible cost)
        message = f"[{count}] Request served"
        record = log.makeRecord(
            log.name, level, __file__, 0, message, (), None, None, {"fields": fields}
        )
        log.handle(record)


def _with_header(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """``headers`` with ``name`` set to ``value`` (replacing any value it had)."""
    lower, size = name.lower(), len(name)
    for key, _ in headers:  # a plain loop: this runs for every response
        if len(key) == size and key.lower() == lower:
            headers = [(key, val) for key, val in headers if key.lower() != lower]
            break
    headers.append((name, value))
    return headers


def _is_api_path(path: str, context_path: str) -> bool:
    path = path[len(context_path) :] if context_path else path
    return path.startswith("/api/") and not path.endswith((".yaml", ".tgz", ".prov"))
