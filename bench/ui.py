"""``python -m bench.ui``: server-side render time of the web UI's pages, against fixed limits.

Usage: python -m bench.ui [--charts 1000] [--versions 10] [--requests 50] [--rounds 3]
                          [--quick] [--workdir DIR]

The application runs in this process (Flask's test client: the whole request path through
the request pipeline, tenancy, auth, the view and Jinja, without a socket), on local storage
holding N = charts x versions generated packages (``bench.gen``). The index is built and
each page rendered once before anything is timed; each figure is then the median time of
``--requests`` requests, in ``--rounds`` rounds, shown as ``median [min-max]`` of the rounds'
medians and judged against its limit (ratio = median / limit, target <= 1):

1. the repository page (``/``: the first 25 charts by name) <= 50 ms;
2. a search that every chart matches, by update time (``/?q=bench&sort=updated&page=2``)
   <= 50 ms;
3. a chart page whose package was shown before (``/.chart/<name>``) <= 20 ms.

Logging is set to WARNING while timing (the access log line of every request would go to
the terminal). ``--quick`` (the test suite's run) is N = 500 with 10 requests a round.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from bench.gen import generate
from bench.measure import Row

REPOSITORY_LIMIT_MS = 50.0
CHART_LIMIT_MS = 20.0
FIGURES = (
    ("UI repository page (ms)", REPOSITORY_LIMIT_MS),
    ("UI repository search (ms)", REPOSITORY_LIMIT_MS),
    ("UI chart page, seen before (ms)", CHART_LIMIT_MS),
)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"


def limit_row(figure: str, medians: list[float], limit: float) -> Row:
    """The row of ``figure`` from each round's median, judged against ``limit`` (ms)."""
    ratios = tuple(m / limit for m in medians)
    ratio = statistics.median(ratios)
    return Row(figure, _spread(medians), f"limit {limit:g} ms", ratio, "<= 1", ratio <= 1, ratios)


def error_row(figure: str, limit: float, error: BaseException) -> Row:
    """The row of a figure that could not be measured."""
    message = f"{type(error).__name__}: {error}".replace("\n", " ")[:160]
    return Row(figure, "error", message, math.nan, "<= 1", False)


def _timed(get: Callable[[], int], requests: int) -> float:
    """The median time of ``requests`` calls of ``get`` (which returns the status), in ms."""
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status = get()
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"answered {status}")
    return statistics.median(times)


def _pages(folder: str, cache_dir: str) -> dict[str, Callable[[], int]]:
    """One request function per figure, on an application serving ``folder``."""
    from app.factory import create_app
    from app.options import Config

    app = create_app(Config(storage="local", storage_local_rootdir=folder, cache_dir=cache_dir))
    logging.getLogger("chartmuseum").setLevel(logging.WARNING)
    client = app.test_client()
    names = sorted({f.rsplit("-", 1)[0] for f in os.listdir(folder) if f.endswith(".tgz")})
    chart = names[len(names) // 2]
    urls = [
        "/",
        "/?q=bench&sort=updated&page=2",  # every generated chart has the keyword
        f"/.chart/{chart}",
    ]
    for url in urls:  # build the index, render each page once (the package is seen before)
        status = client.get(url).status_code
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    return {
        figure: (lambda url=url: client.get(url).status_code)
        for (figure, _), url in zip(FIGURES, urls, strict=True)
    }


def run_ui(
    charts: int = 1000, versions: int = 10, requests: int = 50, rounds: int = 3, workdir: str = ""
) -> list[Row]:
    """Measure the pages on N = ``charts`` x ``versions``; one row per figure."""
    work = workdir or tempfile.mkdtemp(prefix="chartmuseum-bench-ui-")
    try:
        folder = os.path.join(work, f"ui-{charts}x{versions}")
        generate(folder, charts, versions)
        cache_dir = tempfile.mkdtemp(prefix="cache-", dir=work)
        try:
            pages = _pages(folder, cache_dir)
        except Exception as exc:  # the server failed: every figure is an error
            return [error_row(figure, limit, exc) for figure, limit in FIGURES]
        medians: dict[str, list[float]] = {figure: [] for figure, _ in FIGURES}
        failures: dict[str, BaseException] = {}
        for _ in range(rounds):
            for figure, _ in FIGURES:
                try:
                    medians[figure].append(_timed(pages[figure], requests))
                except Exception as exc:
                    failures.setdefault(figure, exc)
        shutil.rmtree(cache_dir, ignore_errors=True)
        return [
            error_row(figure, limit, failures[figure])
            if figure in failures
            else limit_row(figure, medians[figure], limit)
            for figure, limit in FIGURES
        ]
    finally:
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


def print_rows(rows: list[Row], charts: int, versions: int, rounds: int) -> None:
    """The table, in the main benchmark's layout."""
    n = charts * versions
    print(
        f"\nWeb UI: N = {n:,} ({charts} charts x {versions}), median [min-max] of {rounds} rounds"
    )
    header = f"{'figure':34} {'ours (ms)':>22} {'reference':>16} {'ratio':>7}  {'target':6} result"
    print(header)
    print("-" * len(header))
    for r in rows:
        verdict = "PASS" if r.ok else "FAIL"
        print(
            f"{r.figure:34} {r.ours:>22} {r.reference:>16} {r.ratio:7.3f}  {r.target:6} {verdict}"
        )


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ui")
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="N = 500, 10 requests a round")
    parser.add_argument("--workdir", default="", help="kept, and reused by later runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.charts, args.versions, args.requests = 50, 10, 10
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the table; exit 0 when every figure passes, 1 otherwise."""
    args = _args(sys.argv[1:] if argv is None else argv)
    rows = run_ui(args.charts, args.versions, args.requests, args.rounds, args.workdir)
    print_rows(rows, args.charts, args.versions, args.rounds)
    for row in rows:
        if row.ours == "error":
            print(f"{row.figure}: {row.reference}")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
