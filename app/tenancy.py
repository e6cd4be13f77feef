"""Tenants (repositories) and where their objects live in storage.

Every storage path is built here, and nothing that names a tenant or a file can leave
the tenant's own folder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import g
from flask import request
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map

from app.errors import BadRequest


def check_repo(repo: str) -> str:
    """Validate a tenant path (``""`` or ``org1/repoa``): no empty, ``.``, ``..`` or hidden
    segments, no backslash or NUL. :raises BadRequest:"""
    if not repo:
        return repo
    for segment in repo.split("/"):
        if not segment or segment.startswith(".") or "\\" in segment or "\x00" in segment:
            raise BadRequest(f"invalid repository path: {repo}")
    return repo


def check_path(path: str) -> str:
    """Refuse a request path with an empty segment (``//`` anywhere). :raises BadRequest:

    Routing never sees it: werkzeug strips leading slashes before matching, so
    ``//index.yaml`` would otherwise reach the root repository (and ``/org1//x`` a 404).
    """
    if "//" in path:
        raise BadRequest(f"invalid path: empty segment in {path}")
    return path


def is_single_element(filename: str) -> bool:
    """True when ``filename`` is one plain path element (no separators, not ``.``/``..``)."""
    return (
        bool(filename) and filename not in (".", "..") and not any(c in filename for c in "/\\\x00")
    )


def check_filename(filename: str) -> str:
    """:raises BadRequest: ``<filename> is improperly formatted`` unless a single element."""
    if not is_single_element(filename):
        raise BadRequest(f"{filename} is improperly formatted")
    return filename


def storage_path(repo: str, filename: str) -> str:
    """The storage path of ``filename`` in tenant ``repo``."""
    check_repo(repo)
    check_filename(filename)
    return f"{repo}/{filename}" if repo else filename


class RepoConverter(BaseConverter):
    """``<repo:repo>``: exactly ``depth`` path segments, or one or more when ``depth`` is 0
    (``--depth-dynamic``). The tenant spans several segments, so it is not part-isolating."""

    part_isolating = False

    def __init__(self, url_map: Map, depth: int = 0) -> None:
        super().__init__(url_map)
        depth = int(depth)
        tail = "(?:/[^/]+)*" if depth == 0 else "(?:/[^/]+)" * (depth - 1)
        self.regex = "[^/]+" + tail


def install_tenancy(app: Flask, check_storable: Callable[[str], None] | None = None) -> None:
    """Register the converter, move the matched tenant from the URL into ``g.repo`` and
    check it.

    The checks run for every request, routed or not, in the application's URL value
    preprocessor, which Flask calls before any ``before_request`` hook (one function, not
    two hooks: this runs on the cheapest requests too). Install the tenancy right after
    :func:`app.pipeline.init_pipeline`, so that a refused request is counted and has its
    request id, like any other.

    :param check_storable: raises for a tenant the storage cannot hold.
    """
    app.url_map.converters["repo"] = RepoConverter
    app.url_map.merge_slashes = False

    @app.url_value_preprocessor
    def _tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
        repo = g.repo = values.pop("repo", "") if values else ""
        check_path(request.environ.get("PATH_INFO", ""))
        if repo:  # the root tenant always passes
            check_repo(repo)
            if check_storable is not None:
                check_storable(repo)


def repo_prefixes(depth: int, dynamic: bool) -> list[str]:
    """URL prefixes that carry the tenant: "" for the root tenant, a converter otherwise."""
    if dynamic:
        return ["", "/<repo:repo>"]
    return [f"/<repo(depth={depth}):repo>"] if depth > 0 else [""]
