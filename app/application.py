"""The application class: Flask, with the steps every request takes given the request
itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import NoReturn

from flask import Flask
from flask import Request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from werkzeug.routing import RequestRedirect

from app.errors import NotFound
from app.errors import is_registry_request

RequestCheck = Callable[[Request], None]


class ChartMuseumApp(Flask):
    """Flask, except that:

    - :attr:`request_checks` run first on every request, routed or not, given the request:
      a Flask hook would look it up through context-local proxies (about half a microsecond
      each), a visible share of the cheapest requests (``/health``, a cached index);
    - the check of whether a hook or view is a coroutine function is made once per function
      rather than on every request (three to five per request);
    - a path is never redirected to the same path with a trailing slash.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}
        #: called in order before the URL value preprocessors and ``before_request``
        #: hooks; they raise to refuse the request (or to defer it, see :mod:`app.inline`)
        self.request_checks: list[RequestCheck] = []

    def preprocess_request(self) -> ResponseReturnValue | None:
        request = request_ctx.request
        for check in self.request_checks:
            check(request)
        return super().preprocess_request()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced

    def raise_routing_exception(self, request: Request) -> NoReturn:
        """``/x`` is not the page ``/x/`` (werkzeug would redirect): at ``--depth 1``
        ``/index.yaml`` names no route, it is not tenant ``index.yaml``'s page. The OCI
        registry keeps the redirect (``/v2`` to ``/v2/``), as registries answer."""
        if isinstance(request.routing_exception, RequestRedirect) and not is_registry_request():
            raise NotFound("not found")
        super().raise_routing_exception(request)
