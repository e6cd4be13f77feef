"""Which requests the application answers on the worker's main loop (see
:mod:`app.worker.inline`): what a Helm client fetches most, ``index.yaml`` and packages,
when they can be answered without waiting.

The worker tries a request inline when its path ends like those; a view marked
:func:`inline_capable` then decides at run time (:func:`defer_if_inline`), and every other
view is deferred to a thread before it runs, so no other route ever runs on the main loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar

from flask import Request
from flask import current_app
from flask import request

from app.application import ChartMuseumApp
from app.worker.inline import INLINE
from app.worker.inline import Deferred

__all__ = ["Deferred", "defer_if_inline", "init_inline", "inline_capable", "running_inline"]

F = TypeVar("F", bound=Callable[..., Any])

_CAPABLE = "_inline_capable"
INLINE_ENDINGS = ("/index.yaml", ".tgz", ".tgz.prov")


def inline_capable(view: F) -> F:
    """Mark ``view`` as one that may run on the worker's main loop (it calls
    :func:`defer_if_inline` wherever it would wait)."""
    setattr(view, _CAPABLE, True)
    return view


def running_inline() -> bool:
    """Whether the current request runs on the worker's main loop."""
    return bool(request.environ.get(INLINE))


def defer_if_inline() -> None:
    """:raises Deferred: when the current request runs on the worker's main loop."""
    if running_inline():
        raise Deferred()


def inline_path(path: str) -> bool:
    """Whether a request for ``path`` (raw, as received) is worth trying inline."""
    return path.endswith(INLINE_ENDINGS)


def _defer_other_views(request: Request) -> None:
    if request.environ.get(INLINE):
        view = current_app.view_functions.get(request.endpoint or "")
        if not getattr(view, _CAPABLE, False):
            raise Deferred()


def init_inline(app: ChartMuseumApp) -> None:
    """Offer ``app``'s inline-capable views to the worker; before every other step of a
    request (its first request check), defer any other view."""
    app.inline_paths = inline_path  # type: ignore[attr-defined]
    app.request_checks.insert(0, _defer_other_views)
