"""Prometheus metrics: ChartMuseum's names, gauges per tenant, bounded labels."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import make_chart


def test_metrics_single_process(make_app) -> None:
    client = make_app(depth=1, enable_metrics=True).test_client()
    client.post("/api/a/charts", data=make_chart("mychart", "0.1.0"))
    client.post("/api/a/charts", data=make_chart("mychart", "0.2.0"))
    client.get("/a/index.yaml")
    client.get("/b/index.yaml")
    client.get("/bad-url/deeper/nothing")
    text = client.get("/metrics").data.decode()
    assert 'chartmuseum_charts_served_total{repo="a"} 1.0' in text
    assert 'chartmuseum_chart_versions_served_total{repo="a"} 2.0' in text
    assert "# TYPE chartmuseum_charts_served_total gauge" in text
    assert 'repo="b"' not in text  # a tenant that does not exist creates no series
    assert "bad-url" not in text
    assert 'url="/:repo/index.yaml"' in text
    assert (
        'chartmuseum_requests_total{code="201",method="POST",url="/api/:repo/charts"} 2.0' in text
    )
    assert "chartmuseum_request_duration_seconds_bucket" in text
    assert "chartmuseum_response_size_bytes_count" in text


def test_metrics_off_by_default(client) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_not_under_context_path_and_open(make_app) -> None:
    client = make_app(
        enable_metrics=True, context_path="/cm", basic_auth_user="u", basic_auth_pass="p"
    ).test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/cm/metrics").status_code == 404


def test_unauthorized_requests_are_counted(make_app) -> None:
    client = make_app(enable_metrics=True, basic_auth_user="u", basic_auth_pass="p").test_client()
    assert client.get("/index.yaml").status_code == 401
    text = client.get("/metrics").data.decode()
    assert 'chartmuseum_requests_total{code="401",method="GET",url="/index.yaml"} 1.0' in text
    assert 'url="/metrics"' not in text  # the scrape itself is never recorded


def test_served_by_the_exporter_without_its_default_series(make_app) -> None:
    client = make_app(enable_metrics=True).test_client()
    client.get("/index.yaml")
    response = client.get("/metrics")
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert "flask_" not in response.data.decode()  # no flask_http_request_*, no exporter info
    openmetrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    assert openmetrics.data.decode().rstrip().endswith("# EOF")


def test_exporter_is_multiprocess_aware(monkeypatch, tmp_path) -> None:
    from prometheus_client import CollectorRegistry
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    from app.metrics import make_exporter

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    plain = make_exporter(CollectorRegistry(), lambda: None)
    assert not isinstance(plain, GunicornInternalPrometheusMetrics)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    shared = make_exporter(CollectorRegistry(), lambda: None)
    assert isinstance(shared, GunicornInternalPrometheusMetrics)


_WORKER = """
from prometheus_client import Counter
Counter("chartmuseum_requests_total", "Requests", ["code", "method", "url"]).labels(
    "200", "GET", "/index.yaml"
).inc(3)
"""


def test_a_worker_file_still_being_created_does_not_fail_the_scrape(
    make_app, monkeypatch, tmp_path
) -> None:
    # prometheus_client creates a worker's sample file empty and sizes it afterwards: a
    # scrape in between (a worker booting, or counting its first request) must still answer
    # with every other worker's samples
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", _WORKER], env=env, check=True)  # a worker's samples
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    client = make_app(enable_metrics=True).test_client()
    (tmp_path / "counter_424242.db").write_bytes(b"")
    (tmp_path / "gauge_livemostrecent_424243.db").write_bytes(b"\0\0")
    response = client.get("/metrics")
    assert response.status_code == 200, response.data
    line = 'chartmuseum_requests_total{code="200",method="GET",url="/index.yaml"} 3.0'
    assert line in response.data.decode()
