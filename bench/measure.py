"""The measurements, each returning rows of (figure, ours, reference, ratio, target, ok)."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from bench import load
from bench.gen import package
from bench.servers import Process
from bench.servers import fetch
from bench.servers import reset_state
from bench.servers import start_chartmuseum
from bench.servers import start_nginx

RUN = int(time.time()) % 1_000_000  # versions uploaded by this run never collide with earlier


@dataclass
class Row:
    """One line of the report."""

    figure: str
    ours: str
    reference: str
    ratio: float
    target: str
    ok: bool


def helm_index(folder: str) -> dict[str, float]:
    """`helm repo index` time and peak RSS, in its own process."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.helm_index", folder],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def cold_and_warm(storage: str, helm: dict[str, float], log: str) -> tuple[list[Row], Process]:
    """Cold build vs Helm, then a warm restart after a package was removed while down."""
    reset_state(storage)
    server, cold = start_chartmuseum(storage, log=log)
    server.stop()
    victim = sorted(n for n in os.listdir(storage) if n.endswith(".tgz"))[0]
    os.rename(os.path.join(storage, victim), os.path.join(storage, victim + ".away"))
    try:
        server, warm = start_chartmuseum(storage, log=log)
        index = fetch(server.url + "/index.yaml")
        gone = f"charts/{victim}".encode() not in index
    finally:
        os.rename(os.path.join(storage, victim + ".away"), os.path.join(storage, victim))
    rows = [
        Row(
            "cold index build (s)",
            f"{cold:.2f}",
            f"helm {helm['seconds']:.2f}",
            cold / helm["seconds"],
            "<= 0.5",
            cold <= 0.5 * helm["seconds"],
        ),
        Row(
            "warm restart (s)",
            f"{warm:.3f}",
            f"cold {cold:.2f}",
            warm / cold,
            "<= 0.1, removed package gone",
            warm <= 0.1 * cold and gone,
        ),
    ]
    return rows, server


def serving(server: Process, nginx_root: str, seconds: float) -> list[Row]:
    """index.yaml throughput, plain and gzip, against nginx serving the same bytes."""
    index = fetch(server.url + "/index.yaml")
    nginx = start_nginx(nginx_root, index)
    try:
        rows = []
        for gzip, target in ((False, 0.9), (True, 0.4)):
            ours = load.wrk(server.url + "/index.yaml", seconds, gzip=gzip)
            ref = load.wrk(nginx.url + "/index.yaml", seconds, gzip=gzip)
            ratio = ours.rps / ref.rps
            name = "serve index.yaml, gzip (req/s)" if gzip else "serve index.yaml, plain (req/s)"
            rows.append(
                Row(
                    name,
                    f"{ours.rps:.0f}",
                    f"nginx {ref.rps:.0f}",
                    ratio,
                    f">= {target}",
                    ratio >= target and ours.errors == 0,
                )
            )
        return rows
    finally:
        nginx.stop()


def memory(server: Process, helm: dict[str, float]) -> Row:
    """Peak RSS of the largest worker after serving, against `helm repo index`'s."""
    fetch(server.url + "/api/charts")
    peaks = []
    for pid in server.worker_pids():
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            hwm = [line for line in fh if line.startswith("VmHWM:")]
        peaks.append(int(hwm[0].split()[1]))
    ours = max(peaks)
    ratio = ours / helm["maxrss_kb"]
    return Row(
        "worker peak RSS (MB)",
        f"{ours / 1024:.0f}",
        f"helm {helm['maxrss_kb'] / 1024:.0f}",
        ratio,
        "<= 0.5",
        ratio <= 0.5,
    )


def _upload_latencies(url: str, chart: str, count: int) -> tuple[list[float], bool]:
    rnd = random.Random(1)
    latencies = []
    visible = True
    for i in range(count):
        version = f"8.{i}.{RUN}"
        body = package(chart, version, rnd)
        request = urllib.request.Request(url + "/api/charts", data=body)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
        latencies.append(time.perf_counter() - started)
        visible &= f"{chart}-{version}.tgz".encode() in fetch(url + "/index.yaml")
    return latencies, visible


def upload_cost(big: Process, small: Process, count: int) -> Row:
    """Median upload latency on the N-version repository vs a 10-version one."""
    small_lat, small_ok = _upload_latencies(small.url, "chart00000", count)
    big_lat, big_ok = _upload_latencies(big.url, "chart00000", count)
    ratio = statistics.median(big_lat) / statistics.median(small_lat)
    return Row(
        "upload latency, median (ms)",
        f"{statistics.median(big_lat) * 1000:.1f}",
        f"10 versions {statistics.median(small_lat) * 1000:.1f}",
        ratio,
        "<= 1.5, in next index",
        ratio <= 1.5 and big_ok and small_ok,
    )


def mixed_load(server: Process, seconds: float) -> Row:
    """ChartMuseum's own profile: 10 index reads per upload of a new version, 32 clients."""
    result = load.mixed(server.url, seconds)
    p50, p99 = result.percentile(0.5), result.percentile(0.99)
    ratio = p99 / p50
    ours = f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, {len(result.reads)} reads"
    return Row(
        "mixed load, index reads p99/p50",
        ours,
        f"{len(result.uploads)} uploads, {result.errors} errors",
        ratio,
        "<= 3, 0 errors",
        ratio <= 3 and result.errors == 0,
    )
