"""Per-application state, reached from views through :func:`services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import current_app
from flask import g

from app.oci.registry import Registry
from app.options import Config
from app.repository import Repository

KEY = "chartmuseum"


@dataclass
class Services:
    """What the views need: the settings and the repository operations."""

    config: Config
    repository: Repository
    #: the OCI registry over the same repository (None with ``--disable-oci``)
    registry: Registry | None = None


def services() -> Services:
    """The current application's :class:`Services`."""
    return cast(Services, current_app.extensions[KEY])


def current_repo() -> str:
    """The tenant of the current request (``""`` for a single-tenant server)."""
    return cast(str, g.get("repo", ""))
