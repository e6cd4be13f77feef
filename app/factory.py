"""The application factory."""

from __future__ import annotations

from flask import Flask

from app.application import ChartMuseumApp
from app.auth import init_auth
from app.blueprints import api as _api  # noqa: F401 - imported before workers fork
from app.blueprints import apidoc
from app.blueprints import register_blueprints
from app.blueprints import registry
from app.blueprints import repo as _repo  # noqa: F401 - imported before workers fork
from app.blueprints import server_info as _server_info  # noqa: F401 - imported before workers fork
from app.blueprints import ui as _ui  # noqa: F401 - imported before workers fork
from app.errors import REGISTRY_ROOT
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
