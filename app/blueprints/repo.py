"""What the Helm client fetches: ``index.yaml`` and the packages with their ``.prov`` files."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import request

from app.auth import PULL
from app.auth import requires
from app.errors import NotFound
from app.options import Config
from app.services import current_repo
from app.services import services

INDEX_TYPE = "application/x-yaml"


def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


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
        body = rendered.gzipped()
    else:
        body = rendered.body
    return Response(body, headers=headers, content_type=INDEX_TYPE)


@requires(PULL)
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
