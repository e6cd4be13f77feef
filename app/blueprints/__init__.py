"""Route families, mounted under the context path by :func:`register_blueprints`."""

from __future__ import annotations

from flask import Flask

from app.options import Config
from app.tenant_urls import repo_prefixes


def register_blueprints(app: Flask, config: Config) -> None:
    """Mount the info, web UI and repository routes always, the API unless disabled."""
    from app.blueprints import api
    from app.blueprints import repo
    from app.blueprints import server_info
    from app.blueprints import ui

    ctx = config.context_path
    app.register_blueprint(server_info.make_blueprint(config), url_prefix=ctx)
    app.register_blueprint(ui.make_blueprint(config), url_prefix=ctx)
    repo_bp = repo.make_blueprint(config)
    api_bp = None if config.disable_api else api.make_blueprint(config)
    for i, tenant in enumerate(repo_prefixes(config.depth, config.depth_dynamic)):
        app.register_blueprint(repo_bp, url_prefix=ctx + tenant, name=f"repo{i}")
        if api_bp is not None:
            app.register_blueprint(api_bp, url_prefix=f"{ctx}/api{tenant}", name=f"api{i}")
