"""Tenants (repositories) and where their objects live in storage.

Every storage path is built here, and nothing that names a tenant or a file can leave
the tenant's own folder. (How a tenant appears in URLs is :mod:`app.tenant_urls`; this
module needs no web framework, so the index code that uses it starts without one.)
"""

from __future__ import annotations

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
