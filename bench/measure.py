"""The figures of one repository of N chart versions (``--charts C --versions V``), each
measured in interleaved rounds against its reference:

- build: our cold build and our warm restart (a package removed while the server was down
  must be gone) against ``helm repo index`` on the same folder; a worker's peak RSS after a
  short burst of reads against Helm's;
- serving: ``index.yaml`` plain and gzip, and a 10 MiB package, against nginx serving the same
  bytes (sendfile, ``gzip_static``); a 5 KB package against our own ``/health``; ``/health``
  against a bare Flask app under the same gunicorn settings (:mod:`bench.bare_app`);
- uploads: median upload latency on N versions against a 10-version repository;
- mixed load: 10 index reads per upload, 32 clients, read p99 / p50.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench import load
from bench.gen import UPLOADED_MAJOR
from bench.gen import package
from bench.gen import sized_package
from bench.rounds import Row
from bench.rounds import Samples
from bench.rounds import Target
from bench.rounds import error_row
from bench.rounds import interleave
from bench.rounds import ratio_row
from bench.servers import Process
from bench.servers import fetch
from bench.servers import reset_state
from bench.servers import start_bare
from bench.servers import start_chartmuseum
from bench.servers import start_nginx

COLD = ("cold index build (s)", Target(0.45))
WARM = ("warm restart (s)", Target(0.1, note="removed package gone"))
RSS = ("worker peak RSS (MB)", Target(0.3))
PLAIN = ("serve index.yaml, plain (req/s)", Target(0.95, at_least=True))
GZIP = ("serve index.yaml, gzip (req/s)", Target(0.4, at_least=True))
BIG = ("10 MiB package download (req/s)", Target(0.9, at_least=True))
SMALL = ("5 KB package download (req/s)", Target(0.8, at_least=True))
HEALTH = ("/health (req/s)", Target(0.95, at_least=True))
UPLOAD = ("upload latency, median (ms)", Target(1.5, note="in next index"))
MIXED = ("mixed load, index reads p99/p50", Target(3, note="0 errors"))

BIG_FILE = "bigpayload-1.0.0.tgz"
SMALL_FILE = "smallpayload-1.0.0.tgz"


@dataclass(frozen=True)
class Settings:
    """Where and how long to measure."""

    storage: str  # the N-version repository
    small: str  # a 10-version repository (the upload reference)
    work: str
    log: str
    rounds: int
    seconds: float  # each wrk run
    mixed_seconds: float  # each round of the mixed load
    uploads: int  # uploads per round and repository
    only_1_3: bool = False  # build and serving only


# ---------------------------------------------------------------- build


def helm_index(folder: str) -> dict[str, float]:
    """`helm repo index` time and peak RSS, in its own process."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.helm_index", folder],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def peak_rss_after_reads(server: Process) -> float:
    """MB: the largest worker peak RSS after index.yaml plain and gzip and ``/api/charts``
    were fetched by twice as many clients at once as there are workers."""
    clients = 2 * max(1, len(server.worker_pids()))
    gzip = {"Accept-Encoding": "gzip"}

    def client(_: int) -> None:
        for path, headers in (("/index.yaml", {}), ("/index.yaml", gzip), ("/api/charts", {})):
            load.timed_get(server.url, path, headers, timeout=120)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return server.worker_peak_rss_kb() / 1024


def _cold(cfg: Settings, s: Samples) -> None:
    reset_state(cfg.storage)
    server, seconds = start_chartmuseum(cfg.storage, log=cfg.log)
    try:
        s.add("cold", seconds)
        s.add("rss", peak_rss_after_reads(server))
    except Exception as exc:  # the cold build was measured; only the RSS figure fails
        s.fail("rss", exc)
    finally:
        server.stop()


def _helm(cfg: Settings, s: Samples) -> None:
    helm = helm_index(cfg.storage)
    s.add("helm", helm["seconds"])
    s.add("helm_rss", helm["maxrss_kb"] / 1024)


def _warm(cfg: Settings, s: Samples) -> None:
    victim = sorted(n for n in os.listdir(cfg.storage) if n.endswith(".tgz"))[0]
    path = os.path.join(cfg.storage, victim)
    os.rename(path, path + ".away")
    try:
        server, seconds = start_chartmuseum(cfg.storage, log=cfg.log)
        try:
            gone = f"charts/{victim}".encode() not in fetch(server.url + "/index.yaml")
        finally:
            server.stop()
    finally:
        os.rename(path + ".away", path)
    s.add("warm", seconds, errors=0 if gone else 1)


def build(cfg: Settings) -> list[Row]:
    """Cold build, warm restart and worker RSS against Helm, in interleaved rounds (Helm is
    measured even when ours fails)."""
    s = Samples()
    interleave(
        cfg.rounds,
        s.attempt(("cold", "rss"), lambda _: _cold(cfg, s)),
        lambda _: _helm(cfg, s),
        s.attempt(("warm",), lambda _: _warm(cfg, s)),
    )
    return [
        s.compared("cold", "helm", COLD, "helm"),
        s.compared("warm", "helm", WARM, "helm", 3),
        s.compared("rss", "helm_rss", RSS, "helm", 0),
    ]


# ---------------------------------------------------------------- serving


@dataclass(frozen=True)
class Targets:
    """The running servers the serving figures are measured on."""

    ours: Process
    nginx: Process
    bare: Process


def add_payloads(storage: str) -> dict[str, str]:
    """Put a 10 MiB and a 5 KB package into ``storage``; URL path -> file."""
    files = {}
    for name, size in ((BIG_FILE, 10 << 20), (SMALL_FILE, 5 << 10)):
        chart, version = name.removesuffix(".tgz").split("-", 1)
        path = os.path.join(storage, name)
        with open(path, "wb") as fh:
            fh.write(sized_package(chart, version, size))
        files[f"/charts/{name}"] = path
    return files


def remove_payloads(storage: str) -> None:
    """Undo :func:`add_payloads`."""
    for name in (BIG_FILE, SMALL_FILE):
        if os.path.exists(os.path.join(storage, name)):
            os.remove(os.path.join(storage, name))


def _same_bytes(a: Process, b: Process, path: str) -> None:
    ours, theirs = fetch(a.url + path), fetch(b.url + path)
    if ours != theirs:
        raise RuntimeError(f"{path}: {a.url} and {b.url} serve different bytes")


def start_references(cfg: Settings, ours: Process, files: dict[str, str]) -> Targets:
    """nginx with our current index.yaml and the payload packages; the bare Flask app.
    Checks that each pair serves the same bytes."""
    index = fetch(ours.url + "/index.yaml", timeout=300)
    for path in files:
        if path.removeprefix("/").encode() not in index:
            raise RuntimeError(f"{path} is not in our index.yaml (see the server log)")
    nginx = start_nginx(os.path.join(cfg.work, "nginx"), index, files)
    try:
        bare = start_bare(cfg.log)
    except BaseException:
        nginx.stop()
        raise
    targets = Targets(ours, nginx, bare)
    try:
        for path in files:
            _same_bytes(ours, nginx, path)
        _same_bytes(ours, bare, "/health")
    except BaseException:
        stop_references(targets)
        raise
    return targets


def stop_references(targets: Targets) -> None:
    """Stop nginx and the bare app."""
    targets.nginx.stop()
    targets.bare.stop()


def _wrk_step(
    s: Samples, key: str, server: Process, path: str, seconds: float, gzip: bool = False
) -> Callable[[int], None]:
    def step(_: int) -> None:
        result = load.wrk(server.url + path, seconds, gzip=gzip)
        s.add(key, result.rps, result.errors)

    return step


def _serving_steps(t: Targets, s: Samples, seconds: float) -> list[Callable[[int], None]]:
    big, small = f"/charts/{BIG_FILE}", f"/charts/{SMALL_FILE}"
    return [
        _wrk_step(s, "plain", t.ours, "/index.yaml", seconds),
        _wrk_step(s, "nginx_plain", t.nginx, "/index.yaml", seconds),
        _wrk_step(s, "gzip", t.ours, "/index.yaml", seconds, gzip=True),
        _wrk_step(s, "nginx_gzip", t.nginx, "/index.yaml", seconds, gzip=True),
        _wrk_step(s, "big", t.ours, big, seconds),
        _wrk_step(s, "nginx_big", t.nginx, big, seconds),
        _wrk_step(s, "small", t.ours, small, seconds),
        _wrk_step(s, "health", t.ours, "/health", seconds),
        _wrk_step(s, "bare", t.bare, "/health", seconds),
    ]


def _warm_up(t: Targets) -> None:
    """One unmeasured second of load on each server, so that every worker of each has
    booted and accepts before the first round: a round started while the others still boot
    puts all 16 connections on the first worker (seen: half the rate)."""
    for server, path in ((t.ours, "/health"), (t.nginx, "/index.yaml"), (t.bare, "/health")):
        load.wrk(server.url + path, 1)


def serving(cfg: Settings, t: Targets) -> list[Row]:
    """Throughput figures (wrk, 16 connections) in interleaved rounds."""
    s = Samples()
    _warm_up(t)
    interleave(cfg.rounds, *_serving_steps(t, s, cfg.seconds))

    def row(figure: tuple[str, Target], ours: str, ref: str, label: str) -> Row:
        return ratio_row(figure[0], s[ours], s[ref], label, figure[1], 0, s.clean(ours, ref))

    return [
        row(PLAIN, "plain", "nginx_plain", "nginx"),
        row(GZIP, "gzip", "nginx_gzip", "nginx gzip_static"),
        row(BIG, "big", "nginx_big", "nginx"),
        row(SMALL, "small", "health", "our /health"),
        row(HEALTH, "health", "bare", "bare Flask"),
    ]


# ---------------------------------------------------------------- uploads and mixed load


def upload_batch(url: str, chart: str, count: int, major: int) -> tuple[list[float], bool]:
    """Upload ``count`` new versions of ``chart`` one after the other; the latencies, and
    whether all of them are in the next index.yaml."""
    latencies, versions = [], []
    for i in range(count):
        version = f"{major}.{i}.{load.RUN}"
        body = package(chart, version, random.Random(version))
        request = urllib.request.Request(url + "/api/charts", data=body)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
        latencies.append(time.perf_counter() - started)
        versions.append(version)
    index = fetch(url + "/index.yaml", timeout=300)
    return latencies, all(f"{chart}-{v}.tgz".encode() in index for v in versions)


def uploads(cfg: Settings, big: Process, small: Process) -> Row:
    """Median upload latency on N versions against 10 versions, interleaved rounds."""
    s = Samples()

    def batch(key: str, server: Process) -> Callable[[int], None]:
        def step(r: int) -> None:
            latencies, visible = upload_batch(
                server.url, "chart00000", cfg.uploads, UPLOADED_MAJOR + r
            )
            s.add(key, 1000 * load.percentile(latencies, 0.5), 0 if visible else 1)

        return step

    interleave(cfg.rounds, batch("big", big), batch("small", small))
    clean = s.clean("big", "small")
    return ratio_row(UPLOAD[0], s["big"], s["small"], "10 versions", UPLOAD[1], 1, clean)


def mixed_row(figure: tuple[str, Target], s: Samples) -> Row:
    """The mixed-load row from per-round p99 and p50 (ms) and the error count."""
    errors = s.errors["p99"]
    row = ratio_row(figure[0], s["p99"], s["p50"], "p50", figure[1], 0, errors == 0)
    row.ours = f"p99 {row.ours} ms"
    row.reference = f"{row.reference} ms, {errors} errors"
    return row


def mixed_round(plan: load.MixedPlan, s: Samples) -> None:
    """One round of the mixed profile into ``s`` (p50, p99 in ms, errors)."""
    result = load.mixed(plan)
    s.add("p99", 1000 * result.percentile(0.99), result.errors)
    s.add("p50", 1000 * result.percentile(0.5))


def mixed_load(cfg: Settings, server: Process) -> Row:
    """ChartMuseum's own profile: 10 index reads per upload of a new version, 32 clients."""
    s = Samples()

    def step(r: int) -> None:
        plan = load.MixedPlan(
            server.url, ("/index.yaml",), "/api/charts", "chart00001", r, cfg.mixed_seconds
        )
        mixed_round(plan, s)

    interleave(cfg.rounds, step)
    return mixed_row(MIXED, s)


# ---------------------------------------------------------------- the whole repository


def guarded(figures: list[tuple[str, Target]], measure: Callable[[], list[Row]]) -> list[Row]:
    """``measure()``, or FAIL rows with the reason when it raised."""
    try:
        return measure()
    except Exception as exc:
        return [error_row(name, target, exc) for name, target in figures]


def _serve_phase(cfg: Settings, server: Process) -> list[Row]:
    files = add_payloads(cfg.storage)
    try:
        targets = start_references(cfg, server, files)
        try:
            return serving(cfg, targets)
        finally:
            stop_references(targets)
    finally:
        remove_payloads(cfg.storage)


def _later_phases(cfg: Settings, server: Process) -> list[Row]:
    small, _ = start_chartmuseum(cfg.small, log=cfg.log)
    try:
        rows = guarded([UPLOAD], lambda: [uploads(cfg, server, small)])
    finally:
        small.stop()
    return rows + guarded([MIXED], lambda: [mixed_load(cfg, server)])


def run_repository(cfg: Settings) -> list[Row]:
    """Every figure of the N-version repository."""
    rows = guarded([COLD, WARM, RSS], lambda: build(cfg))
    later = [PLAIN, GZIP, BIG, SMALL, HEALTH] + ([] if cfg.only_1_3 else [UPLOAD, MIXED])
    try:
        server, _ = start_chartmuseum(cfg.storage, log=cfg.log)
    except Exception as exc:
        return rows + [error_row(name, target, exc) for name, target in later]
    try:
        rows += guarded([PLAIN, GZIP, BIG, SMALL, HEALTH], lambda: _serve_phase(cfg, server))
        if not cfg.only_1_3:
            rows += _later_phases(cfg, server)
    finally:
        server.stop()
    return rows
