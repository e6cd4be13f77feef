"""Load generators: wrk for steady index reads, and the mixed read/upload profile."""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.gen import package

RUN = int(time.time()) % 1_000_000  # versions uploaded by this run never collide with earlier


@dataclass
class WrkResult:
    """Throughput of one wrk run."""

    rps: float
    errors: int


def wrk(url: str, seconds: float, connections: int = 16, gzip: bool = False) -> WrkResult:
    """``wrk`` against ``url`` (Helm-like plain GETs, or with ``Accept-Encoding: gzip``)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--timeout", "30s"]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return WrkResult(rps, errors)


@dataclass
class MixedResult:
    """Latencies of the mixed profile."""

    reads: list[float]
    uploads: list[float]
    errors: int

    def percentile(self, q: float) -> float:
        ordered = sorted(self.reads)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _client(
    url: str, client: int, seconds: float, chart: str
) -> tuple[list[float], list[float], int]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    reads: list[float] = []
    uploads: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    i = 0
    import random

    rnd = random.Random(client)
    while time.monotonic() < deadline:
        for _ in range(10):
            started = time.perf_counter()
            conn.request("GET", "/index.yaml")
            response = conn.getresponse()
            response.read()
            reads.append(time.perf_counter() - started)
            errors += response.status != 200
        body = package(chart, f"9.{client}{i:05d}.{RUN}", rnd)
        started = time.perf_counter()
        conn.request("POST", "/api/charts", body=body)
        response = conn.getresponse()
        response.read()
        uploads.append(time.perf_counter() - started)
        errors += response.status != 201
        i += 1
    conn.close()
    return reads, uploads, errors


def _process(
    url: str, first: int, threads: int, seconds: float, chart: str
) -> tuple[list[float], list[float], int]:
    with ThreadPoolExecutor(threads) as pool:
        results = list(
            pool.map(lambda c: _client(url, c, seconds, chart), range(first, first + threads))
        )
    reads = [r for res in results for r in res[0]]
    uploads = [u for res in results for u in res[1]]
    return reads, uploads, sum(res[2] for res in results)


def mixed(url: str, seconds: float, clients: int = 32, chart: str = "chart00001") -> MixedResult:
    """``clients`` clients each doing 10 index reads then one upload of a new version."""
    processes = 4
    per = clients // processes
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_process, url, p * per, per, seconds, chart) for p in range(processes)
        ]
        parts = [f.result() for f in futures]
    return MixedResult(
        [r for p in parts for r in p[0]], [u for p in parts for u in p[1]], sum(p[2] for p in parts)
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
