"""The web UI's session cookie: it carries the CSRF token and flashed messages, nothing else.

Only the UI's pages open a session (paths ending in ``/`` and hidden-segment paths such as
``/.chart/...``); the routes Helm and scripts use never read or set the cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import Request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface

from app.cache import redis_client
from app.options import Config
from app.ui.secret import shared_secret_key

COOKIE = "chartmuseum_ui"
TOKEN_LIFETIME = 12 * 3600  # seconds a form stays valid


class UiSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened only for the web UI's pages."""

    def __init__(self, context_path: str) -> None:
        self.context_path = context_path

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        path = request.path
        if path.endswith("/") or "/." in path or path == self.context_path:
            return super().open_session(app, request)
        return None  # Flask then uses a null session, never saved


def init_sessions(app: Flask, config: Config, cache_dir: str) -> None:
    """Set the application's secret key (shared by every worker and instance), the cookie's
    settings and the session interface."""
    client: Any = redis_client(config) if config.cache == "redis" else None
    app.secret_key = shared_secret_key(config.web_secret_key, cache_dir, client)
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_PATH=config.context_path or "/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config.tls_cert),
        WTF_CSRF_TIME_LIMIT=TOKEN_LIFETIME,
    )
    app.session_interface = UiSessions(config.context_path)
