"""Which tenants (repositories) a page lists."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from app.errors import BadRequest
from app.tenancy import check_repo


def listable(existing: Iterable[str], depth: int, dynamic: bool) -> list[str]:
    """The tenants among ``existing`` that have pages: valid paths of exactly ``depth``
    segments (any number with ``--depth-dynamic``), the root excluded, sorted."""
    found = []
    for tenant in existing:
        try:
            check_repo(tenant)
        except BadRequest:
            continue
        if tenant and (dynamic or tenant.count("/") + 1 == depth):
            found.append(tenant)
    return sorted(set(found))


def visible(
    tenants: Iterable[str], may_pull: Callable[[str], bool], query: str = "", under: str = ""
) -> list[str]:
    """``tenants`` that the request may pull from, under ``under`` (a tenant path; ``""``:
    all) and containing every word of ``query``."""
    terms = query.lower().split()
    prefix = under + "/" if under else ""
    return [
        t
        for t in tenants
        if t.startswith(prefix) and all(w in t.lower() for w in terms) and may_pull(t)
    ]
