"""Prometheus metrics with ChartMuseum's names, correct under several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (the ``chartmuseum`` command and ``gunicorn.conf.py``
set it up), every worker writes its samples there and ``/metrics`` merges them.
Labels are bounded: the route template, never the raw path; tenants only once they exist.
"""

from __future__ import annotations

import os
import re
import time

from flask import Flask
from flask import Response
from flask import g
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import Summary
from prometheus_client import generate_latest
from prometheus_client import multiprocess

from app.index.store import IndexStore

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def route_template(rule: str) -> str:
    """``/api/<repo(depth=1):repo>/charts/<name>`` → ``/api/:repo/charts/:name``."""
    return _PARAM.sub(r":\1", rule)


class Metrics:
    """The metric objects of one application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        reg = self.registry
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
        self.latency.labels(*labels).observe(time.perf_counter() - g.get("started", 0.0))
        self.request_size.observe(request.content_length or 0)
        self.response_size.observe(response.content_length or 0)

    def refresh_gauges(self, store: IndexStore) -> None:
        """Bring every existing tenant up to date and publish its counts."""
        for repo in store.existing_repos():
            charts, versions = store.current(repo).index.counts()
            self.charts.labels(repo).set(charts)
            self.versions.labels(repo).set(versions)

    def exposition(self) -> bytes:
        """The text exposition, merged over all worker processes when multiprocess."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))


def init_metrics(app: Flask, store: IndexStore) -> None:
    """Record request metrics and serve ``GET /metrics`` (root path, never authenticated)."""
    metrics = Metrics()

    @app.after_request
    def _observe(response: Response) -> Response:
        if request.endpoint != "metrics":
            metrics.observe(response)
        return response

    def metrics_view() -> Response:
        metrics.refresh_gauges(store)
        return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
