"""Two `chartmuseum` instances (3 workers each) sharing storage and Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers import make_chart

pytestmark = pytest.mark.e2e


def test_hundred_uploads_over_two_instances(run_server, storage, redis_server, tmp_path) -> None:
    def instance(name: str):
        return run_server(
            "--storage=local",
            f"--storage-local-rootdir={storage}",
            "--workers=3",
            "--cache=redis",
            f"--cache-redis-addr={redis_server.addr}",
            f"--cache-dir={tmp_path / name}",
        )

    a, b = instance("a"), instance("b")
    jobs = [((a, b)[i % 2], make_chart(f"chart{i:03d}", "1.0.0")) for i in range(100)]

    def upload(job) -> int:
        server, chart = job
        return server.post("/api/charts", data=chart).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(upload, jobs))
    assert statuses == [201] * 100
    expected = [f"chart{i:03d}" for i in range(100)]
    for server in (a, b):
        for _ in range(3):
            with requests.Session() as session:
                listing = session.get(server.url + "/api/charts", timeout=30).json()
                index = session.get(server.url + "/index.yaml", timeout=30).content
            assert sorted(listing) == expected
            assert all(f"{name}:".encode() in index for name in expected)
