"""The figures of many tenants (``--tenants K``: K repositories of one chart in ``--versions``
versions, served with ``--depth 1``), each judged against an absolute limit, in rounds that
each start the server afresh on storage without any index state:

- startup: seconds from starting the process to the first answer of ``/health`` (polled every
  5 ms), at most 1 s; the reference column also shows the startup with a single tenant, to
  show it does not depend on the tenant count;
- first read: ``GET /<tenant>/index.yaml`` of every tenant once, in random order, each on a
  new connection (as a fresh Helm client): p99 at most 10 ms;
- later reads: three more passes the same way: p99 at most 3 ms;
- worker peak RSS (``VmHWM`` of the largest worker, once every tenant was read): at most
  64 MB;
- mixed load across tenants: 32 clients, each 10 reads of random other tenants' index.yaml
  per upload of a new version to the first tenant: read p99 / p50 at most 3, 0 errors.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench import load
from bench.measure import mixed_round
from bench.measure import mixed_row
from bench.rounds import Row
from bench.rounds import Samples
from bench.rounds import Target
from bench.rounds import error_row
from bench.rounds import interleave
from bench.rounds import limit_row
from bench.rounds import spread
from bench.servers import Process
from bench.servers import reset_state
from bench.servers import start_chartmuseum

STARTUP = ("tenants: startup to first /health (s)", Target(1.0))
FIRST = ("tenants: first read p99 (ms)", Target(1.0))
LATER = ("tenants: later reads p99 (ms)", Target(1.0))
RSS = ("tenants: worker peak RSS (MB)", Target(1.0))
MIXED = ("tenants: mixed load, reads p99/p50", Target(3, note="0 errors"))
FIGURES = [STARTUP, FIRST, LATER, RSS, MIXED]
LATER_PASSES = 3


@dataclass(frozen=True)
class TenantSettings:
    """Where and how long to measure."""

    root: str  # K tenant folders
    single: str  # the same layout with one tenant (the startup reference)
    tenants: list[str]
    log: str
    rounds: int
    mixed_seconds: float


def _start(root: str, log: str) -> tuple[Process, float]:
    reset_state(root)
    return start_chartmuseum(root, "--depth=1", log=log, ready="/health")


def read_pass(url: str, tenants: list[str], seed: int) -> tuple[list[float], int]:
    """Read every tenant's index.yaml once, in a random order, each on a new connection;
    the latencies (ms) and how many answers were not a non-empty index."""
    order = list(tenants)
    random.Random(seed).shuffle(order)
    latencies, errors = [], 0
    for tenant in order:
        seconds, status, size = load.timed_get(url, f"/{tenant}/index.yaml")
        latencies.append(1000 * seconds)
        errors += status != 200 or size < 200  # an unknown tenant answers an empty index
    return latencies, errors


def _mixed(cfg: TenantSettings, server: Process, r: int, s: Samples) -> None:
    hot, others = cfg.tenants[0], cfg.tenants[1:] or cfg.tenants
    plan = load.MixedPlan(
        server.url,
        tuple(f"/{t}/index.yaml" for t in others),
        f"/api/{hot}/charts",
        f"chart{0:05d}",
        r,
        cfg.mixed_seconds,
    )
    mixed_round(plan, s)


def _reads(cfg: TenantSettings, server: Process, r: int, s: Samples) -> None:
    first, errors = read_pass(server.url, cfg.tenants, r)
    s.add("first", load.percentile(first, 0.99), errors)
    later: list[float] = []
    errors = 0
    for p in range(LATER_PASSES):
        latencies, bad = read_pass(server.url, cfg.tenants, 1000 * (r + 1) + p)
        later, errors = later + latencies, errors + bad
    s.add("later", load.percentile(later, 0.99), errors)


def _attempt(s: Samples, keys: tuple[str, ...], measure: Callable[[], None]) -> None:
    try:
        measure()
    except Exception as exc:
        for key in keys:
            s.fail(key, exc)


def measure_round(cfg: TenantSettings, r: int, s: Samples) -> None:
    """One round on the K-tenant storage."""
    server, startup = _start(cfg.root, cfg.log)
    try:
        s.add("startup", startup)
        _attempt(s, ("first", "later"), lambda: _reads(cfg, server, r, s))
        _attempt(s, ("rss",), lambda: s.add("rss", server.worker_peak_rss_kb() / 1024))
        _attempt(s, ("p99", "p50"), lambda: _mixed(cfg, server, r, s))
    finally:
        server.stop()


def single_round(cfg: TenantSettings, s: Samples) -> None:
    """The startup with one tenant."""
    server, startup = _start(cfg.single, cfg.log)
    server.stop()
    s.add("single", startup)


def rows(s: Samples) -> list[Row]:
    """The tenant rows from the rounds' samples."""
    startup = limit_row(STARTUP[0], s["startup"], 1.0, "s")
    startup.reference += f"; 1 tenant {spread(s['single'], 2)}"
    first, later = s["first"], s["later"]
    return [
        startup,
        s.row(
            ("first",), *FIRST, lambda: limit_row(FIRST[0], first, 10.0, "ms", 1, s.clean("first"))
        ),
        s.row(
            ("later",), *LATER, lambda: limit_row(LATER[0], later, 3.0, "ms", 1, s.clean("later"))
        ),
        s.row(("rss",), *RSS, lambda: limit_row(RSS[0], s["rss"], 64.0, "MB", 0)),
        s.row(("p99",), *MIXED, lambda: mixed_row(MIXED, s)),
    ]


def run_tenants(cfg: TenantSettings) -> list[Row]:
    """Every tenant figure, in interleaved rounds (K tenants, then one tenant)."""
    s = Samples()
    steps: list[Callable[[int], None]] = [
        lambda r: measure_round(cfg, r, s),
        lambda _: single_round(cfg, s),
    ]
    try:
        interleave(cfg.rounds, *steps)
    except Exception as exc:
        return [error_row(name, target, exc) for name, target in FIGURES]
    return rows(s)
