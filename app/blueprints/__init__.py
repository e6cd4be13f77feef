"""Route families, mounted under the context path by :func:`register_blueprints`."""

from __future__ import annotations

from flask import Flask

from app.options import Config


def register_blueprints(app: Flask, config: Config) -> None:
    """Mount the info routes and the repository routes always, the API unless disabled."""
    from app.blueprints import api
    from app.blueprints import repo
    from app.blueprints import server_info

    prefix = config.context_path
    app.register_blueprint(server_info.make_blueprint(config), url_prefix=prefix)
    app.register_blueprint(repo.bp, url_prefix=prefix)
    if not config.disable_api:
        app.register_blueprint(api.make_blueprint(config), url_prefix=prefix + "/api")
