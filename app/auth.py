"""Authorization: basic auth or bearer JWTs, checked per route action (``pull``/``push``).

Every view declares its action with :func:`requires`; views without one (``/health``,
``/info``) are always open. Unmatched URLs are answered 404 before any check.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from typing import Protocol
from typing import TypeVar

from flask import Flask
from flask import current_app
from flask import request
from flask_httpauth import HTTPBasicAuth

from app.errors import Unauthorized
from app.options import Config
from app.services import current_repo

PULL, PUSH = "pull", "push"
F = TypeVar("F", bound=Callable[..., Any])


def requires(action: str) -> Callable[[F], F]:
    """Mark a view as needing ``action`` (``pull`` or ``push``) when auth is on."""

    def mark(view: F) -> F:
        view.auth_action = action  # type: ignore[attr-defined]
        return view

    return mark


class BasicAuthorizer:
    """One user and password; compared in constant time."""

    challenge = 'Basic realm="ChartMuseum"'

    def __init__(self, user: str, password: str) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self._parser = HTTPBasicAuth()

    def check(self, action: str, repo: str) -> None:
        """:raises Unauthorized: unless the request carries the right credentials."""
        auth = self._parser.get_auth()
        scheme = auth.type if auth is not None else ""
        if isinstance(scheme, bytes):  # flask-httpauth hands the scheme over as bytes
            scheme = scheme.decode("latin-1")
        if auth is None or scheme.lower() != "basic":
            raise Unauthorized(self.challenge)
        user = (auth.username or "").encode()
        password = (auth.password or "").encode()
        ok_user = hmac.compare_digest(user, self._user)
        ok_password = hmac.compare_digest(password, self._password)
        if not (ok_user and ok_password):
            raise Unauthorized(self.challenge)


class Authorizer(Protocol):
    """Checks that the current request may perform ``action`` on ``repo``."""

    def check(self, action: str, repo: str) -> None: ...


def make_authorizer(config: Config) -> Authorizer | None:
    """The configured authorizer: bearer wins over basic; None when auth is off."""
    if config.bearer_auth:
        from app.auth_bearer import BearerAuthorizer

        return BearerAuthorizer.from_config(config)
    if config.basic_auth_user and config.basic_auth_pass:
        return BasicAuthorizer(config.basic_auth_user, config.basic_auth_pass)
    return None


def init_auth(app: Flask, config: Config) -> None:
    """Check every matched request against its view's action."""
    authorizer = make_authorizer(config)
    if authorizer is None:
        return
    anonymous_pull = config.auth_anonymous_get

    @app.before_request
    def _authorize() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        action = getattr(view, "auth_action", None)
        if action is None or (action == PULL and anonymous_pull):
            return
        authorizer.check(action, current_repo())
