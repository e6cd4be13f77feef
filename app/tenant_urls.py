"""Tenants in URLs: the ``<repo:...>`` converter, the URL prefixes that carry the tenant,
and the per-request step that takes the tenant out of the URL and checks it (the rules
themselves are :mod:`app.tenancy`'s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import g
from flask import request
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map

from app.tenancy import check_path
from app.tenancy import check_repo


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
