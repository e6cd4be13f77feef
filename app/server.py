"""Serve the application with gunicorn (never a development server)."""

from __future__ import annotations

import ssl
from typing import Any

from gunicorn.app.base import BaseApplication

from app.options import Config


def gunicorn_settings(config: Config) -> dict[str, Any]:
    """gunicorn settings equivalent to ChartMuseum's listener options.

    Workers are ``gthread`` workers; read and write timeouts bound how long a worker may
    stay silent (a large upload over a slow link needs both).
    """
    settings: dict[str, Any] = {
        "bind": [f"{config.listen_host}:{config.port}"],
        "workers": config.workers,
        "threads": config.threads,
        "worker_class": "gthread",
        "timeout": max(config.read_timeout + config.write_timeout, 30),
        "graceful_timeout": max(config.write_timeout, 5),
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "debug" if config.debug else "warning",
        "proc_name": "chartmuseum",
        "preload_app": False,
        "forwarded_allow_ips": "*",
    }
    if config.tls_cert and config.tls_key:
        settings.update(certfile=config.tls_cert, keyfile=config.tls_key)
        if config.tls_ca_cert:
            settings.update(ca_certs=config.tls_ca_cert, cert_reqs=ssl.CERT_REQUIRED)
    return settings


class ChartMuseumServer(BaseApplication):  # type: ignore[misc]
    """gunicorn application that builds the Flask app in each worker (no preload)."""

    def __init__(self, config: Config) -> None:
        self.config_obj = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_settings(self.config_obj).items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.factory import create_app

        return create_app(self.config_obj)
