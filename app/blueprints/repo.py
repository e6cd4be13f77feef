"""What the Helm client fetches: ``index.yaml`` and the packages with their ``.prov`` files.

Both are answered from files when they are files (the rendered index in the cache folder,
packages on local storage), through the server's ``wsgi.file_wrapper``: gunicorn then sends
them with ``sendfile(2)``, without copying them through Python.
"""

from __future__ import annotations

import functools

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


def _wants_gzip() -> bool:
    return _accepts_gzip(request.environ.get("HTTP_ACCEPT_ENCODING"))


@requires(PULL)
def index_yaml() -> Response:
    """The index: plain unless gzip is asked for; 304 when the client has this version."""
    rendered = services().repository.index(current_repo()).rendered()
    gzipped = _wants_gzip()
    etag = rendered.etag[:-1] + '-gzip"' if gzipped else rendered.etag
    headers = {"ETag": etag, "Vary": "Accept-Encoding"}
    if request.if_none_match.contains_raw(etag):
        return Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    response = _index_file_response(rendered, gzipped, headers)
    if response is not None:
        return response
    body = rendered.gzipped() if gzipped else rendered.body
    return Response(body, headers=headers, content_type=INDEX_TYPE)


def _index_file_response(
    rendered: RenderedIndex, gzipped: bool, headers: dict[str, str]
) -> Response | None:
    """The index sent from its file; None when it can only be sent from memory."""
    for _ in range(2):  # a file another worker removed meanwhile is written again, once
        path = rendered.file(gzipped)
        if path is None:
            return None
        try:
            return file_response(path, INDEX_TYPE, headers)
        except OSError:
            rendered.forget(gzipped, path)
    return None


@functools.lru_cache(maxsize=4096)
def _local_path(backend: StorageBackend, repo: str, filename: str) -> str | None:
    """:func:`app.names.check_file_name`, then where the file is on local storage (None for
    object stores); remembered for the names downloaded most (the answer depends on nothing
    else; a refused name raises, and is not remembered)."""
    return backend.local_path(check_file_name(backend, repo, filename))


@requires(PULL)
def package(filename: str) -> Response:
    """A stored ``.tgz`` or ``.tgz.prov`` file."""
    if filename.endswith(".tgz.prov"):
        content_type = "application/pgp-signature"
    elif filename.endswith(".tgz"):
        content_type = "application/x-tar"
    else:
        raise NotFound("unsupported file extension")
    repository, repo = services().repository, current_repo()
    local = _local_path(repository.backend, repo, filename)
    if local is not None:
        try:
            return file_response(local, content_type, small=SMALL_FILE)
        except IsADirectoryError:  # a folder or a FIFO by that name: no package
            raise NotFound("object not found") from None
        except OSError:
            pass  # missing or unreadable: answered (404...) as from any other store
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
