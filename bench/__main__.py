"""``python -m bench``: measure the server side by side with Helm, nginx, a bare Flask app
and docker-registry; print every figure with its reference, ratio, target and PASS/FAIL.

Usage: python -m bench [--charts C [C ...]] [--versions 10] [--tenants K] [--oci]
                       [--rounds 3] [--seconds 5] [--mixed-seconds 20] [--uploads 30]
                       [--oci-charts 200] [--quick] [--only-1-3] [--workdir DIR] [--json FILE]

With none of --charts, --tenants and --oci, every section runs: N = 10,000 (--charts 1000),
N = 100,000 (--charts 10000), 1,000 tenants and the OCI registry. --quick is the small run of
the test suite (N = 500 and 20 tenants, 1 s runs, no OCI unless --oci is given).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable

from bench.gen import generate
from bench.gen import generate_tenants
from bench.gen import remove_uploads
from bench.gen import tenant_name
from bench.measure import Settings
from bench.measure import run_repository
from bench.oci import run_oci
from bench.report import as_json
from bench.report import load_average
from bench.report import machine
from bench.report import print_header
from bench.report import print_table
from bench.rounds import Row
from bench.tenants import TenantSettings
from bench.tenants import run_tenants

Section = tuple[str, list[Row]]


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--charts", type=int, nargs="+", help="repository sizes, in charts")
    parser.add_argument("--versions", type=int, default=10, help="versions per chart")
    parser.add_argument("--tenants", type=int, help="tenant mode: this many tenants")
    parser.add_argument("--oci", action="store_true", help="the OCI registry figures")
    parser.add_argument("--oci-charts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per figure")
    parser.add_argument("--seconds", type=float, default=5, help="each wrk run")
    parser.add_argument("--mixed-seconds", type=float, default=20, help="each mixed round")
    parser.add_argument("--uploads", type=int, default=30, help="uploads per round")
    parser.add_argument("--quick", action="store_true", help="N=500, 20 tenants, 1 s runs")
    parser.add_argument("--only-1-3", action="store_true", help="build and serving only")
    parser.add_argument("--workdir", default="", help="kept, and reused by later runs")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args(argv)
    _defaults(args)
    return args


def _defaults(args: argparse.Namespace) -> None:
    chosen = args.charts is not None or args.tenants is not None or args.oci
    if args.quick:
        args.seconds, args.mixed_seconds, args.uploads, args.oci_charts = 1, 1, 5, 10
        if not chosen:
            args.charts, args.tenants = [50], 20
    elif not chosen:
        args.charts, args.tenants, args.oci = [1000, 10000], 1000, True
    args.charts = args.charts or []


def _generated(what: str, make: Callable[[], int]) -> None:
    started = time.perf_counter()
    count = make()
    print(f"{what}: {count:,} packages ready in {time.perf_counter() - started:.1f} s", flush=True)


def repository_section(args: argparse.Namespace, work: str, charts: int) -> Section:
    """N = charts x versions: generate (or reuse), measure."""
    storage = os.path.join(work, f"repo-{charts}x{args.versions}")
    small = os.path.join(work, "small")
    _generated(f"N = {charts * args.versions:,}", lambda: generate(storage, charts, args.versions))
    generate(small, 1, 10)
    for folder in (storage, small):
        remove_uploads(folder)
    settings = Settings(
        storage,
        small,
        work,
        os.path.join(work, "server.log"),
        args.rounds,
        args.seconds,
        args.mixed_seconds,
        args.uploads,
        args.only_1_3,
    )
    try:
        rows = run_repository(settings)
    finally:
        for folder in (storage, small):
            remove_uploads(folder)
    title = f"N = {charts * args.versions:,} chart versions ({charts:,} charts x {args.versions})"
    return title, rows


def tenants_section(args: argparse.Namespace, work: str) -> Section:
    """K tenants x versions at --depth 1: generate (or reuse), measure."""
    k, versions = args.tenants, args.versions
    root = os.path.join(work, f"tenants-{k}x{versions}")
    single = os.path.join(work, f"tenants-1x{versions}")
    _generated(f"{k:,} tenants", lambda: generate_tenants(root, k, versions))
    generate_tenants(single, 1, versions)
    remove_uploads(root)
    settings = TenantSettings(
        root,
        single,
        [tenant_name(t) for t in range(k)],
        os.path.join(work, "server.log"),
        args.rounds,
        args.mixed_seconds,
    )
    try:
        rows = run_tenants(settings)
    finally:
        remove_uploads(root)
    return f"{k:,} tenants x {versions} versions (--depth 1)", rows


def oci_section(args: argparse.Namespace, work: str) -> Section:
    """bench.oci's figures against docker-registry."""
    rows = run_oci(args.oci_charts, args.seconds, args.rounds, os.path.join(work, "oci"))
    return f"OCI registry: {args.oci_charts} charts, against docker-registry", rows


def _sections(args: argparse.Namespace, work: str) -> list[Callable[[], Section]]:
    steps: list[Callable[[], Section]] = [
        functools.partial(repository_section, args, work, c) for c in args.charts
    ]
    if args.tenants:
        steps.append(lambda: tenants_section(args, work))
    if args.oci:
        steps.append(lambda: oci_section(args, work))
    return steps


def _summary(sections: list[Section]) -> None:
    rows = [r for _, section in sections for r in section]
    print(f"\nload average at the end (1/5/15 min): {load_average()}")
    print(f"{sum(r.ok for r in rows)} of {len(rows)} figures PASS")
    for title, section in sections:
        failed = [r.figure for r in section if not r.ok]
        if failed:
            print(f"FAIL in {title}: {', '.join(failed)}")


def run(args: argparse.Namespace) -> list[Section]:
    """Every chosen section, each table printed as soon as it is measured."""
    work = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="chartmuseum-bench-"))
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    m = machine()
    print_header(m, args.rounds)
    sections: list[Section] = []
    try:
        for step in _sections(args, work):
            started = time.perf_counter()
            sections.append(step())
            print_table(*sections[-1])
            print(f"(measured in {time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    _summary(sections)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(as_json(m, sections), fh, indent=1)
    return sections


def main(argv: list[str] | None = None) -> int:
    """Run; exit 0 when every figure passes, 1 otherwise."""
    sections = run(_args(sys.argv[1:] if argv is None else argv))
    return 0 if all(r.ok for _, rows in sections for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
