"""What the Helm client fetches: ``index.yaml`` and the packages with their ``.prov`` files.

Both are answered from files when they are files (the rendered index in the cache folder,
packages on local storage), through the server's ``wsgi.file_wrapper``: gunicorn then sends
them with ``sendfile(2)``, without copying them through Python.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint
from flask import Response
from flask import request
from werkzeug.http import parse_accept_header

from app.auth import PULL
from app.auth import requires
from app.errors import NotFound
from app.http import SMALL_FILE
from app.http import file_response
from app.index.chart_index import RenderedIndex
from app.inline import Deferred
from app.inline import defer_if_inline
from app.inline import inline_capable
from app.inline import running_inline
from app.names import check_file_name
from app.options import Config
from app.services import current_repo
from app.services import services
from backends.base import StorageBackend

INDEX_TYPE = "application/x-yaml"


@functools.lru_cache(maxsize=256)
def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (werkzeug's reading of it; clients
    send few distinct values, so each is parsed once)."""
    return parse_accept_header(accept_encoding)["gzip"] > 0


def wants_gzip(environ: dict[str, Any]) -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip."""
    return _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))


def index_etag(rendered: RenderedIndex, gzipped: bool) -> str:
    """The ETag of the index in that form (the gzip form's is marked)."""
    return rendered.etag[:-1] + '-gzip"' if gzipped else rendered.etag


def index_headers(etag: str, gzipped: bool) -> dict[str, str]:
    """The headers of an index response (a 304 has no Content-Encoding: ``gzipped`` False)."""
    headers = {"ETag": etag, "Vary": "Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return headers


def _rendered_index() -> RenderedIndex:
    repository, repo = services().repository, current_repo()
    if running_inline():
        rendered = repository.engine.peek(repo)
        if rendered is None:
            raise Deferred()
        return rendered
    return repository.index(repo).rendered()


@inline_capable
@requires(PULL)
def index_yaml() -> Response:
    """The index: plain unless gzip is asked for; 304 when the client has this version.

    On the worker's main loop only when it is current and already a file (see
    :mod:`app.inline`)."""
    rendered = _rendered_index()
    gzipped = wants_gzip(request.environ)
    etag = index_etag(rendered, gzipped)
    if request.if_none_match.contains_raw(etag):
        return Response(status=304, headers=index_headers(etag, False))
    headers = index_headers(etag, gzipped)
    response = _index_file_response(rendered, gzipped, headers)
    if response is not None:
        return response
    defer_if_inline()
    body = rendered.gzipped() if gzipped else rendered.body
    return Response(body, headers=headers, content_type=INDEX_TYPE)


def _index_file_response(
    rendered: RenderedIndex, gzipped: bool, headers: dict[str, str]
) -> Response | None:
    """The index sent from its file; None when it can only be sent from memory."""
    inline = running_inline()
    for _ in range(2):  # a file another worker removed meanwhile is written again, once
        path = rendered.file_now(gzipped) if inline else rendered.file(gzipped)
        if path is None:
            return None
        try:
            return file_response(path, INDEX_TYPE, headers)
        except OSError:
            rendered.forget(gzipped, path)
    return None


@functools.lru_cache(maxsize=4096)
def local_package_path(backend: StorageBackend, repo: str, filename: str) -> str | None:
    """:func:`app.names.check_file_name`, then where the file is on local storage (None for
    object stores); remembered for the names downloaded most (the answer depends on nothing
    else; a refused name raises, and is not remembered)."""
    return backend.local_path(check_file_name(backend, repo, filename))


def package_type(filename: str) -> str | None:
    """The Content-Type of a package or provenance file; None for another name."""
    if filename.endswith(".tgz.prov"):
        return "application/pgp-signature"
    if filename.endswith(".tgz"):
        return "application/x-tar"
    return None


@inline_capable
@requires(PULL)
def package(filename: str) -> Response:
    """A stored ``.tgz`` or ``.tgz.prov`` file (on the worker's main loop only from local
    storage)."""
    content_type = package_type(filename)
    if content_type is None:
        raise NotFound("unsupported file extension")
    repository, repo = services().repository, current_repo()
    local = local_package_path(repository.backend, repo, filename)
    if local is not None:
        try:
            return file_response(local, content_type, small=SMALL_FILE)
        except IsADirectoryError:  # a folder or a FIFO by that name: no package
            raise NotFound("object not found") from None
        except OSError:
            pass  # missing or unreadable: answered (404...) as from any other store
    else:
        defer_if_inline()
    body = repository.read(repo, filename)
    return Response(body, content_type=content_type)


def make_blueprint(config: Config) -> Blueprint:
    """Index, packages and (when IDs are configured) the Artifact Hub metadata file."""
    bp = Blueprint("repo", __name__)
    bp.add_url_rule("/index.yaml", "index_yaml", index_yaml, methods=["GET"])
    bp.add_url_rule("/charts/<filename>", "package", package, methods=["GET"])
    if config.artifact_hub_repo_id:
        ids = config.artifact_hub_repo_id

        @requires(PULL)
        def artifacthub() -> Response:
            repo_id = ids.get(current_repo())
            if repo_id is None:
                raise NotFound("Artifact Hub repository ID not found")
            body = f"repositoryID: {repo_id}\n".encode()
            return Response(body, content_type="application/x-yaml")

        bp.add_url_rule("/artifacthub-repo.yml", "artifacthub", artifacthub, methods=["GET"])
    return bp
