"""The application factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import NoReturn

from flask import Flask
from flask import Request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

from app.auth import init_auth
from app.blueprints import api as _api  # noqa: F401 - imported before workers fork
from app.blueprints import apidoc
from app.blueprints import register_blueprints
from app.blueprints import registry
from app.blueprints import repo as _repo  # noqa: F401 - imported before workers fork
from app.blueprints import server_info as _server_info  # noqa: F401 - imported before workers fork
from app.blueprints import ui as _ui  # noqa: F401 - imported before workers fork
from app.errors import REGISTRY_ROOT
from app.errors import NotFound
from app.errors import is_registry_request
from app.errors import register_error_handlers
from app.inline import init_inline
from app.logs import setup_logging
from app.oci.registry import Registry
from app.oci.staging import Staging
from app.options import Config
from app.pipeline import init_pipeline
from app.repo_shortcut import RepoShortcut
from app.repo_shortcut import shortcut_applies
from app.repository import Repository
from app.repository_setup import build_repository
from app.services import KEY
from app.services import Services
from app.startup import check_config
from app.startup import normalise
from app.tenant_urls import install_tenancy


class ChartMuseumApp(Flask):
    """Flask, except that the check of whether a hook or view is a coroutine function is
    made once per function rather than on every request (three to five per request), and
    that a path is never redirected to the same path with a trailing slash."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

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


_FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)


def _behind_proxy(wsgi_app: Any) -> Any:
    """``wsgi_app`` reading the client, scheme, host and port from the first hop of the
    ``X-Forwarded-*`` headers (werkzeug's ``ProxyFix``), which only runs when one is there."""
    fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        for name in _FORWARDED:
            if name in environ:
                return fixed(environ, start_response)
        return wsgi_app(environ, start_response)

    return app


def build_registry(config: Config, repository: Repository) -> Registry | None:
    """The OCI registry over ``repository`` (None with ``--disable-oci``)."""
    if config.disable_oci:
        return None
    staging = Staging(repository.backend, config.oci_upload_expiry, config.max_upload_size)
    return Registry(repository, staging, config.depth, config.depth_dynamic)


def create_app(config: Config, repository: Repository | None = None) -> Flask:
    """Build the WSGI application for ``config``.

    :param repository: an already built repository to serve (the ``chartmuseum`` command
        builds it once before forking its workers, which then inherit the loaded index).
    :raises app.errors.ConfigError: for a fatal misconfiguration.
    """
    config = normalise(config)
    check_config(config)
    setup_logging(config.debug, config.log_json)
    app = ChartMuseumApp("chartmuseum", static_folder=None)
    app.wsgi_app = _behind_proxy(app.wsgi_app)  # type: ignore[method-assign]
    repository = repository or build_repository(config)
    services = Services(config, repository, build_registry(config, repository))
    app.extensions[KEY] = services
    register_error_handlers(app)
    init_inline(app)
    if shortcut_applies(config):
        engine, backend = services.repository.engine, services.repository.backend
        shortcut = RepoShortcut(app.wsgi_app, engine, backend, config)
        app.wsgi_app = shortcut  # type: ignore[method-assign]
    init_pipeline(app, config)  # around all of it: every request is counted and gets its id
    install_tenancy(app, services.repository.check_repo)
    init_auth(app, config)
    register_blueprints(app, config)
    app.register_blueprint(apidoc.make_blueprint(config), url_prefix=config.context_path)
    if services.registry is not None:  # at the server root, as OCI clients expect
        bp = registry.make_blueprint(config, services.registry)
        app.register_blueprint(bp, url_prefix=REGISTRY_ROOT)
    if config.enable_metrics:
        from app.metrics import init_metrics

        init_metrics(app, app.extensions[KEY].repository.engine)
    return app
