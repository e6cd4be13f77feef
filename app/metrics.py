"""Prometheus metrics with ChartMuseum's names, correct under several gunicorn workers.

``GET /metrics`` is prometheus-flask-exporter's endpoint: with ``PROMETHEUS_MULTIPROC_DIR``
set (the ``chartmuseum`` command and ``gunicorn.conf.py`` prepare it in the gunicorn master)
it is the exporter's gunicorn variant, which merges the samples every worker writes there
(:mod:`app.metrics_files`);
otherwise the plain exporter serves this process's registry. The exporter's own default
metrics (``flask_http_request_*``, ``flask_exporter_info``) are off: ChartMuseum has no
such series. The request metrics are recorded here, in an ``after_request`` hook rather
than with the exporter's view decorators, because those never see a request that a
``before_request`` hook answers (a 401 from auth), and ChartMuseum counts those.
Labels are bounded: the route template, never the raw path; tenants only once they exist.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import Response
from flask import request
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import Summary
from prometheus_flask_exporter import PrometheusMetrics

from app.index.engine import IndexEngine
from app.metrics_files import MULTIPROC_ENV
from app.metrics_files import WorkersExporter
from app.pipeline import request_started

METRICS_PATH = "/metrics"  # at the server root, whatever the context path
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")

View = Callable[..., Any]


@functools.cache  # one per route of the app
def route_template(rule: str) -> str:
    """``/api/<repo(depth=1):repo>/charts/<name>`` → ``/api/:repo/charts/:name``."""
    return _PARAM.sub(r":\1", rule)


class Metrics:
    """The metric objects of one application, in the exporter's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        reg = registry
        labels = ["code", "method", "url"]
        self.requests = Counter(
            "chartmuseum_requests_total", "Requests processed", labels, registry=reg
        )
        self.latency = Histogram(
            "chartmuseum_request_duration_seconds", "Request latency", labels, registry=reg
        )
        self.request_size = Summary("chartmuseum_request_size_bytes", "Request sizes", registry=reg)
        self.response_size = Summary(
            "chartmuseum_response_size_bytes", "Response sizes", registry=reg
        )
        self.charts = Gauge(
            "chartmuseum_charts_served_total",
            "Charts served per repository",
            ["repo"],
            registry=reg,
            multiprocess_mode="livemostrecent",
        )
        self.versions = Gauge(
            "chartmuseum_chart_versions_served_total",
            "Chart versions served per repository",
            ["repo"],
            registry=reg,
            multiprocess_mode="livemostrecent",
        )

    def observe(self, response: Response) -> None:
        """Record one finished request (404/405 are not recorded, as in ChartMuseum)."""
        if response.status_code in (404, 405) or request.url_rule is None:
            return
        labels = (str(response.status_code), request.method, route_template(request.url_rule.rule))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(time.perf_counter() - request_started())
        self.request_size.observe(request.content_length or 0)
        self.response_size.observe(response.content_length or 0)

    def refresh_gauges(self, store: IndexEngine) -> None:
        """Bring every existing tenant up to date and publish its counts."""
        for repo in store.existing_repos():
            charts, versions = store.current(repo).index.counts()
            self.charts.labels(repo).set(charts)
            self.versions.labels(repo).set(versions)


def make_exporter(registry: CollectorRegistry, before_scrape: Callable[[], None]) -> Any:
    """The exporter serving ``registry`` at :data:`METRICS_PATH`, multiprocess-aware.

    ``before_scrape`` runs ahead of every exposition (through the exporter's
    ``metrics_decorator``), so that the index gauges are current when read.
    """

    def refreshing(view: View) -> View:
        @functools.wraps(view)
        def scrape(*args: Any, **kwargs: Any) -> Any:
            before_scrape()
            return view(*args, **kwargs)

        return scrape

    exporter = WorkersExporter if os.environ.get(MULTIPROC_ENV) else PrometheusMetrics
    return exporter.for_app_factory(
        path=METRICS_PATH,
        registry=registry,
        export_defaults=False,
        metrics_decorator=refreshing,
    )


def init_metrics(app: Flask, store: IndexEngine) -> None:
    """Record request metrics and serve ``GET /metrics`` (root path, never authenticated)."""
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    make_exporter(registry, lambda: metrics.refresh_gauges(store)).init_app(app)

    @app.after_request
    def _observe(response: Response) -> Response:
        if request.path != METRICS_PATH:
            metrics.observe(response)
        return response
