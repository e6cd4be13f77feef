"""Load generators: wrk for steady throughput, single requests for latency, and the mixed
read/upload profile (on one repository or across tenants)."""

from __future__ import annotations

import http.client
import random
import re
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

from bench.gen import UPLOADED_MAJOR
from bench.gen import package

RUN = int(time.time()) % 1_000_000  # versions uploaded by this run never collide with earlier
READ_CHUNK = 1 << 20


@dataclass
class WrkResult:
    """Throughput of one wrk run."""

    rps: float
    errors: int


def wrk(
    url: str,
    seconds: float,
    connections: int = 16,
    gzip: bool = False,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """``wrk`` against ``url`` (Helm-like plain GETs, or with ``Accept-Encoding: gzip``)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--timeout", "30s"]
    merged = ({"Accept-Encoding": "gzip"} if gzip else {}) | (headers or {})
    for name, value in merged.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return WrkResult(rps, errors)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _drain(response: http.client.HTTPResponse) -> int:
    size = 0
    while chunk := response.read(READ_CHUNK):
        size += len(chunk)
    return size


def timed_get(
    url: str, path: str, headers: dict[str, str] | None = None, timeout: float = 60
) -> tuple[float, int, int]:
    """One GET on a new connection (as a fresh Helm client does), the body read in chunks
    and dropped: seconds from connect to the last body byte, status, body size."""
    parts = urlsplit(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        size = _drain(response)
        return time.perf_counter() - started, response.status, size
    finally:
        conn.close()


@dataclass
class MixedResult:
    """Latencies of the mixed profile."""

    reads: list[float] = field(default_factory=list)
    uploads: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the read latencies."""
        return percentile(self.reads, q)


@dataclass(frozen=True)
class MixedPlan:
    """What the mixed clients do: read random ``reads`` paths, upload to ``upload``."""

    url: str
    reads: tuple[str, ...]
    upload: str  # e.g. /api/charts or /api/<tenant>/charts
    chart: str
    tag: int  # distinguishes the versions uploaded by successive rounds
    seconds: float


def _read(conn: http.client.HTTPConnection, path: str) -> tuple[float, bool]:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    _drain(response)
    return time.perf_counter() - started, response.status == 200


def _upload(conn: http.client.HTTPConnection, plan: MixedPlan, version: str) -> tuple[float, bool]:
    body = package(plan.chart, version, random.Random(version))
    started = time.perf_counter()
    conn.request("POST", plan.upload, body=body)
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - started, response.status == 201


def _client(plan: MixedPlan, client: int) -> MixedResult:
    parts = urlsplit(plan.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    result = MixedResult()
    rnd = random.Random(client)
    deadline = time.monotonic() + plan.seconds
    i = 0
    while time.monotonic() < deadline:
        for _ in range(10):
            seconds, ok = _read(conn, rnd.choice(plan.reads))
            result.reads.append(seconds)
            result.errors += not ok
        version = f"{UPLOADED_MAJOR + 100 + plan.tag}.{client}{i:05d}.{RUN}"
        seconds, ok = _upload(conn, plan, version)
        result.uploads.append(seconds)
        result.errors += not ok
        i += 1
    conn.close()
    return result


def _merge(parts: list[MixedResult]) -> MixedResult:
    return MixedResult(
        [r for p in parts for r in p.reads],
        [u for p in parts for u in p.uploads],
        sum(p.errors for p in parts),
    )


def _process(plan: MixedPlan, first: int, threads: int) -> MixedResult:
    with ThreadPoolExecutor(threads) as pool:
        return _merge(list(pool.map(lambda c: _client(plan, c), range(first, first + threads))))


def mixed(plan: MixedPlan, clients: int = 32, processes: int = 4) -> MixedResult:
    """``clients`` clients (keep-alive), each doing 10 reads of random ``plan.reads`` paths
    then one upload of a new version, until ``plan.seconds`` have passed."""
    per = clients // processes
    with ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(_process, plan, p * per, per) for p in range(processes)]
        return _merge([f.result() for f in futures])
