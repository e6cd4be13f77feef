"""Serve the application with gunicorn (never a development server), through the buffering
worker of :mod:`app.worker`."""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

from app.options import Config
from app.repository import Repository


def gunicorn_settings(config: Config) -> dict[str, Any]:
    """gunicorn settings equivalent to ChartMuseum's listener options.

    Workers are :class:`app.worker.BufferingWorker` (gunicorn's ``gthread`` worker, except
    that a request reaches a thread only once it has fully arrived): ``--read-timeout`` bounds
    a whole request and ``--write-timeout`` a whole response, which the worker reads from the
    app it serves. gunicorn's ``timeout`` only watches the worker's main loop (its heartbeat),
    which never waits on a client.
    """
    settings: dict[str, Any] = {
        "bind": [f"{config.listen_host}:{config.port}"],
        "workers": config.workers,
        "threads": config.threads,
        "worker_class": "app.worker.BufferingWorker",
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
    if config.enable_metrics:
        prepare_metrics_dir()
        settings["child_exit"] = _metrics_child_exit
    if config.tls_cert and config.tls_key:
        settings.update(certfile=config.tls_cert, keyfile=config.tls_key)
        if config.tls_ca_cert:
            settings.update(ca_certs=config.tls_ca_cert, cert_reqs=ssl.CERT_REQUIRED)
    return settings


METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir() -> str:
    """Give the workers an empty shared folder for their metric samples.

    Must run in the gunicorn master before any worker starts (and before prometheus_client
    is imported), so that every worker writes to, and ``/metrics`` reads from, one place.
    """
    path = os.environ.get(METRICS_ENV) or tempfile.mkdtemp(prefix="chartmuseum-metrics-")
    if os.path.isdir(path):
        for name in os.listdir(path):
            target = os.path.join(path, name)
            if os.path.isdir(target):
                shutil.rmtree(target, ignore_errors=True)
            else:
                os.unlink(target)
    os.makedirs(path, exist_ok=True)
    os.environ[METRICS_ENV] = path
    return path


def _metrics_child_exit(server: Any, worker: Any) -> None:
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


class ChartMuseumServer(BaseApplication):  # type: ignore[misc]
    """gunicorn application that builds the Flask app in each worker (no preload)."""

    def __init__(self, config: Config, repository: Repository | None = None) -> None:
        self.config_obj = config
        self.repository = repository
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_settings(self.config_obj).items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.factory import create_app

        return create_app(self.config_obj, self.repository)
