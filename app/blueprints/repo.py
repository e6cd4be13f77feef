"""What the Helm client fetches: ``index.yaml`` and the packages with their ``.prov`` files."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import request

from app.errors import NotFound
from app.services import current_repo
from app.services import services

bp = Blueprint("repo", __name__)

INDEX_TYPE = "application/x-yaml"


def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


@bp.get("/index.yaml")
def index_yaml() -> Response:
    """The index: plain unless gzip is asked for; 304 when the client has this version."""
    rendered = services().repository.index(current_repo()).index.rendered()
    gzipped = _wants_gzip()
    etag = rendered.etag[:-1] + '-gzip"' if gzipped else rendered.etag
    headers = {"ETag": etag, "Vary": "Accept-Encoding"}
    if request.if_none_match.contains_raw(etag):
        return Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        body = rendered.gzipped()
    else:
        body = rendered.body
    return Response(body, headers=headers, content_type=INDEX_TYPE)


@bp.get("/charts/<filename>")
def package(filename: str) -> Response:
    """A stored ``.tgz`` or ``.tgz.prov`` file."""
    if filename.endswith(".tgz.prov"):
        content_type = "application/pgp-signature"
    elif filename.endswith(".tgz"):
        content_type = "application/x-tar"
    else:
        raise NotFound("unsupported file extension")
    body = services().repository.read(current_repo(), filename)
    return Response(body, content_type=content_type)
