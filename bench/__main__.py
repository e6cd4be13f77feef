"""``python -m bench``: measure the server side by side with Helm and nginx, print a table.

Usage: python -m bench [--charts 1000] [--versions 10] [--seconds 10] [--mixed-seconds 60]
                       [--quick] [--only-1-3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from bench import measure
from bench.gen import generate
from bench.servers import start_chartmuseum


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10, help="each wrk run")
    parser.add_argument("--mixed-seconds", type=float, default=60)
    parser.add_argument("--uploads", type=int, default=30, help="uploads per repository size")
    parser.add_argument("--quick", action="store_true", help="N=500, short runs (for tests)")
    parser.add_argument("--only-1-3", action="store_true", help="cold, warm and serving only")
    parser.add_argument("--workdir", default="")
    args = parser.parse_args(argv)
    if args.quick:
        args.charts, args.versions, args.seconds, args.mixed_seconds, args.uploads = 50, 10, 1, 2, 5
    return args


def _print(rows: list[measure.Row], n: int) -> None:
    print(f"\nN = {n} chart versions")
    header = f"{'figure':34} {'ours':>34} {'reference':>26} {'ratio':>7}  {'target':28} result"
    print(header)
    print("-" * len(header))
    for r in rows:
        verdict = "PASS" if r.ok else "FAIL"
        print(
            f"{r.figure:34} {r.ours:>34} {r.reference:>26} {r.ratio:7.3f}  {r.target:28} {verdict}"
        )


def run(args: argparse.Namespace) -> list[measure.Row]:
    """Run every measurement; returns the rows."""
    work = args.workdir or tempfile.mkdtemp(prefix="chartmuseum-bench-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    storage, small = os.path.join(work, "charts"), os.path.join(work, "small")
    n = args.charts * args.versions
    if not os.path.isdir(storage) or len(os.listdir(storage)) < n:
        generate(storage, args.charts, args.versions)
    shutil.rmtree(small, ignore_errors=True)
    generate(small, 1, 10)
    log = os.path.join(work, "server.log")
    helm = measure.helm_index(storage)
    rows, server = measure.cold_and_warm(storage, helm, log)
    try:
        rows += measure.serving(server, os.path.join(work, "nginx"), args.seconds)
        if not args.only_1_3:
            rows.append(measure.memory(server, helm))
            small_server, _ = start_chartmuseum(small, log=log)
            try:
                rows.append(measure.upload_cost(server, small_server, args.uploads))
            finally:
                small_server.stop()
            rows.append(measure.mixed_load(server, args.mixed_seconds))
    finally:
        server.stop()
    _print(rows, n)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    rows = run(_args(sys.argv[1:] if argv is None else argv))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
