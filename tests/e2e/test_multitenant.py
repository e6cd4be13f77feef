"""Many tenants, auth and metrics through the real `chartmuseum` command (3 workers)."""

from __future__ import annotations

import base64
import http.client
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.flow import helm_flow
from tests.helpers import make_chart

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "flags, repo",
    [
        (["--depth=0"], ""),
        (["--depth=1"], "org1"),
        (["--depth=2"], "org1/repoa"),
        (["--depth-dynamic"], "org1/repoa"),
        (["--depth-dynamic"], "a/b/c"),
    ],
)
def test_helm_flow_per_depth(run_server, storage, helm, keyring, tmp_path, flags, repo) -> None:
    server = run_server(
        "--storage=local", f"--storage-local-rootdir={storage}", "--workers=3", *flags
    )
    helm_flow(server, helm, keyring, str(tmp_path), repo=repo)


def _raw_status(url: str, path: str) -> int:
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def test_isolation_and_traversal(run_server, storage) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={storage}", "--depth=2")
    assert server.post("/api/org1/repoa/charts", data=make_chart("a-only")).status_code == 201
    assert server.post("/api/org1/repob/charts", data=make_chart("b-only")).status_code == 201
    assert b"b-only" not in server.get("/org1/repoa/index.yaml").content
    assert server.get("/org1/repob/charts/a-only-0.1.0.tgz").status_code == 404
    for path in (
        "/org1/../charts/a-only-0.1.0.tgz",
        "/../org1/index.yaml",
        "/org1/../repoa/index.yaml",
        "/org1/%2e%2e/index.yaml",
        "/api/org1/../charts",
    ):
        assert 400 <= _raw_status(server.url, path) < 500, path


@pytest.mark.parametrize(
    "flags", [["--depth=0"], ["--depth=1"], ["--depth=2"], ["--depth-dynamic"]]
)
def test_empty_segments_refused_by_gunicorn(run_server, storage, flags) -> None:
    """gunicorn passes ``//`` through as is; every depth mode answers 400 for it."""
    server = run_server("--storage=local", f"--storage-local-rootdir={storage}", *flags)
    for path in ("//index.yaml", "/org1//index.yaml", "/api//charts", "/api/org1//charts", "//"):
        assert _raw_status(server.url, path) == 400, path
    assert _raw_status(server.url, "/health") == 200
    assert _raw_status(server.url, "/") == 200


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_auth_with_helm(run_server, storage, helm, tmp_path) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--basic-auth-user=admin",
        "--basic-auth-pass=s3cret",
    )
    assert server.post("/api/charts", data=make_chart()).status_code == 401
    assert (
        server.post("/api/charts", data=make_chart(), headers=_basic("admin", "s3cret")).status_code
        == 201
    )
    with pytest.raises(Exception):  # noqa: B017 - Helm reports the 401
        helm.repo_index(server.url)
    index = helm.repo_index(server.url, username="admin", password="s3cret")
    assert "mychart" in index["entries"]
    dest = tmp_path / "d"
    dest.mkdir()
    helm.pull(
        "mychart",
        repo_url=server.url,
        version="0.1.0",
        destination=str(dest),
        username="admin",
        password="s3cret",
    )
    assert server.get("/health").status_code == 200


def test_metrics_under_three_workers(run_server, storage) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--workers=3",
        "--depth=1",
        "--enable-metrics",
    )
    charts = [("a", make_chart("mychart", f"0.{i}.0")) for i in range(5)]
    charts += [("b", make_chart(f"other{i}", "1.0.0")) for i in range(3)]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(lambda rc: server.post(f"/api/{rc[0]}/charts", data=rc[1]).status_code, charts)
        )
    assert statuses == [201] * 8
    assert server.delete("/api/a/charts/mychart/0.0.0").status_code == 200
    for _ in range(6):  # every worker answers the same
        with requests.Session() as session:
            scrape = session.get(server.url + "/metrics", timeout=10)
        assert scrape.status_code == 200, scrape.text
        text = scrape.text
        values = dict(
            re.findall(r'^(chartmuseum_\w+_served_total\{repo="\w+"\}) (\S+)$', text, re.M)
        )
        assert values == {
            'chartmuseum_charts_served_total{repo="a"}': "1.0",
            'chartmuseum_chart_versions_served_total{repo="a"}': "4.0",
            'chartmuseum_charts_served_total{repo="b"}': "3.0",
            'chartmuseum_chart_versions_served_total{repo="b"}': "3.0",
        }
    assert (
        'chartmuseum_requests_total{code="201",method="POST",url="/api/:repo/charts"} 8.0' in text
    )
