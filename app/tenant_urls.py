"""Tenants in URLs: the ``<repo:...>`` converter, the URL prefixes that carry the tenant,
and the per-request step that takes the tenant out of the URL and checks it (the rules
themselves are :mod:`app.tenancy`'s)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Request
from flask import g
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map

from app.application import ChartMuseumApp
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


def install_tenancy(
    app: ChartMuseumApp, check_storable: Callable[[str], None] | None = None
) -> None:
    """Register the converter, move the matched tenant from the URL into ``g.repo`` and
    check it.

    The checks run for every request, routed or not, as one of the application's
    :attr:`~app.application.ChartMuseumApp.request_checks`, before any Flask hook. Install
    the tenancy right after :func:`app.pipeline.init_pipeline`, so that a refused request is
    counted and has its request id, like any other.

    :param check_storable: raises for a tenant the storage cannot hold.
    """
    app.url_map.converters["repo"] = RepoConverter
    app.url_map.merge_slashes = False

    def _tenant(request: Request) -> None:
        check_path(request.environ.get("PATH_INFO", ""))
        values = request.view_args
        if values and "repo" in values:  # else the root tenant, "" (g.repo is left unset)
            repo = g.repo = values.pop("repo")
            check_repo(repo)
            if check_storable is not None:
                check_storable(repo)

    app.request_checks.append(_tenant)


def repo_prefixes(depth: int, dynamic: bool) -> list[str]:
    """URL prefixes that carry the tenant: "" for the root tenant, a converter otherwise."""
    if dynamic:
        return ["", "/<repo:repo>"]
    return [f"/<repo(depth={depth}):repo>"] if depth > 0 else [""]
