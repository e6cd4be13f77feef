"""Authorization: basic auth or bearer JWTs, checked per route action (``pull``/``push``).

Every view declares its action with :func:`requires`; views without one (``/health``,
``/info``) are always open. Unmatched URLs are answered 404 before any check.

Credentials are checked with flask-httpauth (``HTTPBasicAuth`` here, ``HTTPTokenAuth`` in
:mod:`app.auth_bearer`): its ``verify_*`` callbacks decide, its ``error_handler`` builds
the 401. The checks run from a ``before_request`` hook, one action per route, instead of
``login_required`` on each view: ``login_required`` lets every ``OPTIONS`` request through
unauthenticated, and ChartMuseum checks every method of a protected route.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from typing import Protocol
from typing import TypeVar

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask_httpauth import HTTPAuth
from flask_httpauth import HTTPBasicAuth

from app.errors import json_error
from app.options import Config

PULL, PUSH = "pull", "push"
#: any valid credentials, no particular tenant (the registry's ``/v2/`` and catalog)
LOGIN = "login"
_EXTENSION = "chartmuseum.authorizer"
F = TypeVar("F", bound=Callable[..., Any])


def requires(action: str) -> Callable[[F], F]:
    """Mark a view as needing ``action`` (``pull`` or ``push``) when auth is on."""

    def mark(view: F) -> F:
        view.auth_action = action  # type: ignore[attr-defined]
        return view

    return mark


def required_action() -> str | None:
    """The action the matched view needs (None for open views and unmatched URLs)."""
    view = current_app.view_functions.get(request.endpoint or "")
    action: str | None = getattr(view, "auth_action", None)
    return action


def unauthorized(status: int = 401) -> Response:
    """The ``{"error": "unauthorized"}`` body of every denial (flask-httpauth's 403 too).

    The challenge header is flask-httpauth's (``authenticate_header``) unless an
    authorizer's error handler sets its own.
    """
    return json_error(401, "unauthorized")


def authenticate(auth: HTTPAuth, role: str | None = None) -> Response | None:
    """flask-httpauth's ``login_required`` steps for the current request, every method.

    :returns: None when ``auth``'s verify callback accepts the credentials and the user
        has ``role`` (when given), else the response of ``auth``'s error handler.
    """
    credentials = auth.get_auth()
    user = auth.authenticate(credentials, None)
    if user in (False, None):
        return auth.auth_error_callback(401)  # type: ignore[no-any-return]
    if not auth.authorize(role, user, credentials):
        return auth.auth_error_callback(403)  # type: ignore[no-any-return]
    return None


class BasicAuthorizer:
    """One user and password; compared in constant time."""

    realm = "ChartMuseum"  # → WWW-Authenticate: Basic realm="ChartMuseum"

    def __init__(self, user: str, password: str) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self.http = HTTPBasicAuth(realm=self.realm)
        self.http.verify_password(self._verify)
        self.http.error_handler(unauthorized)

    def _verify(self, username: str, password: str) -> bool:
        # flask-httpauth's basic parser takes any scheme; the header must be Basic (any case)
        scheme = request.headers.get("Authorization", "").split(" ", 1)[0]
        ok_user = hmac.compare_digest(username.encode(), self._user)
        ok_password = hmac.compare_digest(password.encode(), self._password)
        return scheme.lower() == "basic" and ok_user and ok_password

    def check(self, action: str) -> Response | None:
        """The 401 response unless the request carries the right credentials."""
        return authenticate(self.http)

    def allows(self, action: str, tenant: str, registry_name: str = "") -> bool:
        """Whether the request carries the user's credentials (they allow everything)."""
        return authenticate(self.http) is None


class Authorizer(Protocol):
    """Checks that the current request may perform ``action`` on its tenant."""

    def check(self, action: str) -> Response | None:
        """None when allowed, else the 401 response to send."""

    def allows(self, action: str, tenant: str, registry_name: str = "") -> bool:
        """Whether the request's (already checked) credentials allow ``action`` on another
        tenant, or on one registry repository of it (for listings that span tenants)."""


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
    app.extensions[_EXTENSION] = (authorizer, anonymous_pull)

    @app.before_request
    def _authorize() -> Response | None:
        action = required_action()
        if action is None or (action in (PULL, LOGIN) and anonymous_pull):
            return None
        return authorizer.check(action)


def may(action: str, tenant: str, registry_name: str = "") -> bool:
    """Whether the current request may perform ``action`` on ``tenant`` (a registry
    repository of it, when named): for listings that span tenants, and for the web UI's
    forms (``push`` needs credentials also under ``--auth-anonymous-get``)."""
    found: tuple[Authorizer, bool] | None = current_app.extensions.get(_EXTENSION)
    if found is None:
        return True
    authorizer, anonymous_pull = found
    if action in (PULL, LOGIN) and anonymous_pull:
        return True
    return authorizer.allows(action, tenant, registry_name)
