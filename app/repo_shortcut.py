"""What a Helm client fetches most, ``index.yaml`` and packages, answered on the worker's
main loop without Flask's dispatch.

A WSGI middleware inside :class:`app.pipeline.Pipeline` (so the request is counted, gets its
id and its access log line like any other). It answers only what the routes would answer the
same way: the root tenant (``--depth 0``), ``GET`` or ``HEAD``, when pulling needs no
credentials and metrics are off; ``index.yaml`` without ``If-None-Match``, current and
already a file (:meth:`app.index.engine.IndexEngine.peek`); a package or provenance file
present on local storage under an accepted name. Anything else goes on to Flask. The
headers come from the routes' own helpers; tests compare the two answers byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from werkzeug.wsgi import wrap_file

from app.auth import make_authorizer
from app.blueprints.repo import INDEX_TYPE
from app.blueprints.repo import index_etag
from app.blueprints.repo import index_headers
from app.blueprints.repo import local_package_path
from app.blueprints.repo import package_type
from app.blueprints.repo import wants_gzip
from app.errors import ChartMuseumError
from app.http import SMALL_FILE
from app.http import open_body
from app.index.engine import IndexEngine
from app.options import Config
from app.worker.inline import INLINE
from app.worker.inline import INLINE_METHODS
from backends.base import StorageBackend

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
StartResponse = Callable[..., Any]


def shortcut_applies(config: Config) -> bool:
    """Whether the routes' answers can depend only on the index and the files (see the
    module)."""
    no_credentials = make_authorizer(config) is None or config.auth_anonymous_get
    single = config.depth == 0 and not config.depth_dynamic
    return single and no_credentials and not config.enable_metrics


class RepoShortcut:
    """``wsgi_app`` with the shortcut for the root tenant's index and packages in front."""

    def __init__(
        self, wsgi_app: WSGIApp, engine: IndexEngine, backend: StorageBackend, config: Config
    ) -> None:
        self.wsgi_app = wsgi_app
        self.engine = engine
        self.backend = backend
        self.index = config.context_path + "/index.yaml"
        self.charts = config.context_path + "/charts/"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        if environ.get(INLINE) and environ.get("REQUEST_METHOD") in INLINE_METHODS:
            path = environ.get("PATH_INFO", "")
            answer = None
            if path == self.index:
                answer = self._index(environ, start_response)
            elif path.startswith(self.charts):
                answer = self._package(environ, start_response, path[len(self.charts) :])
            if answer is not None:
                return answer
        return self.wsgi_app(environ, start_response)

    def _index(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        if "HTTP_IF_NONE_MATCH" in environ:
            return None  # the route answers 304s
        rendered = self.engine.peek("")
        if rendered is None:
            return None
        gzipped = wants_gzip(environ)
        path = rendered.file_now(gzipped)
        if path is None:
            return None
        headers = index_headers(index_etag(rendered, gzipped), gzipped)
        return _send_file(environ, start_response, path, INDEX_TYPE, headers)

    def _package(self, environ: dict[str, Any], start_response: StartResponse, name: str) -> Any:
        content_type = package_type(name)
        if content_type is None or "/" in name:
            return None
        try:
            local = local_package_path(self.backend, "", name)
        except ChartMuseumError:
            return None  # the route answers the refusal
        if local is None:
            return None
        return _send_file(environ, start_response, local, content_type, {}, SMALL_FILE)


def _send_file(
    environ: dict[str, Any],
    start_response: StartResponse,
    path: str,
    content_type: str,
    headers: dict[str, str],
    small: int = 0,
) -> Any:
    """As :func:`app.http.file_response` answers; None when the file cannot be opened (the
    route then answers, or writes it again)."""
    try:
        body, length = open_body(path, small)
    except OSError:
        return None
    start_response(
        "200 OK",
        [*headers.items(), ("Content-Type", content_type), ("Content-Length", str(length))],
    )
    if environ["REQUEST_METHOD"] == "HEAD":
        if not isinstance(body, bytes):
            body.close()
        return []
    return [body] if isinstance(body, bytes) else wrap_file(environ, body)
