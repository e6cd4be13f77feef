"""``python -m bench.oci``: our OCI registry (``/v2/...``) side by side with Debian's
``docker-registry`` (CNCF distribution 2.8), as ratios ours/reference.

Usage: python -m bench.oci [--charts 200] [--seconds 10] [--rounds 3] [--quick] [--workdir DIR]

Figures, each the median of ``--rounds`` interleaved rounds (ours, reference, ours, ...):

1. Helm's client (helm-python-sdk, in-process Go) pushes N distinct charts, one
   ``helm_python.push`` each: time, target ours <= 1.0x;
2. it pulls them all back (``helm_python.pull`` with the version): time, target <= 1.0x
   (i.e. pull throughput >= 1.0x); every pulled archive must equal the pushed one;
3. wrk on ``GET /v2/<chart>/manifests/<version>`` with
   ``Accept: application/vnd.oci.image.manifest.v1+json``: requests/s, target >= 1.0x;
4. wrk on ``GET /v2/<chart>/blobs/sha256:<digest>`` of a chart whose package is ~1 MiB of
   incompressible data: requests/s, target >= 1.0x.

Fairness. Each round starts both servers afresh on empty storage, one after the other (never
both at once), and runs the same warm-up on each: one push and one pull of a chart that is not
measured. Both get byte-identical requests: our server runs at its default depth 0 with the
settings of the main bench (``bench.servers.start_chartmuseum``: local storage, default
workers and threads), so the charts are pushed to ``oci://127.0.0.1:PORT`` with no namespace
and every repository name is the chart name, one path segment, on both servers. (Depth 1 with
a namespace ``org1`` would add a tenant to ours only; the reference's work would not change.)
The reference runs Debian's configuration of ``docker-registry`` without auth (see
``bench.registry``); both log every request to a file in the work folder. wrk runs as in the
main bench (2 threads, 16 connections); a row passes only with no wrk errors.

A failure of the reference raises (the harness is broken); a failure of ours (a Helm error, a
wrong status or body) turns that server's remaining figures for the round into errors, the
rows FAIL, and the messages are printed below the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from bench import load
from bench import measure
from bench.gen import archive
from bench.gen import generate
from bench.gen import package
from bench.registry import registry_binary
from bench.registry import start_registry
from bench.servers import Process
from bench.servers import fetch
from bench.servers import start_chartmuseum

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
BIG_CHART, BIG_VERSION, BIG_PAYLOAD = "bigchart", "1.0.0", 1 << 20


@dataclass(frozen=True)
class Figure:
    """One measured quantity and how its ratio ours/reference is judged."""

    name: str
    unit: str
    higher_is_better: bool
    target: float = 1.0


PUSH = Figure("OCI push, Helm client (s)", "s", False)
PULL = Figure("OCI pull, Helm client (s)", "s", False)
MANIFEST = Figure("OCI manifest GET (req/s)", "req/s", True)
BLOB = Figure("OCI 1 MiB blob GET (req/s)", "req/s", True)
FIGURES = (PUSH, PULL, MANIFEST, BLOB)


@dataclass(frozen=True)
class Chart:
    """A chart package on disk and its OCI coordinates."""

    path: str
    name: str
    version: str
    digest: str


@dataclass
class Sample:
    """One server's figures in one round."""

    values: dict[str, float] = field(default_factory=dict)
    wrk_errors: dict[str, int] = field(default_factory=dict)
    error: str = ""


@dataclass
class OciRow(measure.Row):
    """A report row that also keeps the ratio of every round."""

    ratios: tuple[float, ...] = ()


# ---------------------------------------------------------------- charts


def _chart(path: str, name: str, version: str) -> Chart:
    with open(path, "rb") as fh:
        digest = "sha256:" + hashlib.sha256(fh.read()).hexdigest()
    return Chart(path, name, version, digest)


def prepare_charts(work: str, count: int) -> list[Chart]:
    """``count`` distinct charts (one version each) from ``bench.gen`` (deterministic), in
    ``work``/oci-charts-``count``, generated unless a previous run left them there."""
    folder = os.path.join(work, f"oci-charts-{count}")
    if not os.path.isdir(folder) or len(os.listdir(folder)) != count:
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, count, 1)
    charts = []
    for filename in sorted(os.listdir(folder)):
        name, version = filename.removesuffix(".tgz").split("-", 1)
        charts.append(_chart(os.path.join(folder, filename), name, version))
    return charts


def big_package(size: int = BIG_PAYLOAD) -> bytes:
    """A valid chart whose package is ``size`` bytes of random data plus ~1 KiB."""
    chart_yaml = (
        f"apiVersion: v2\nname: {BIG_CHART}\nversion: {BIG_VERSION}\n"
        "description: a chart carrying incompressible data, to measure blob downloads\n"
        "type: application\n"
    ).encode()
    files = {"Chart.yaml": chart_yaml, "files/random.bin": random.Random(1).randbytes(size)}
    return archive(BIG_CHART, files)


def _write_chart(folder: str, name: str, version: str, data: bytes) -> Chart:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}-{version}.tgz")
    with open(path, "wb") as fh:
        fh.write(data)
    return _chart(path, name, version)


# ---------------------------------------------------------------- Helm client and wrk


def _host(server: Process) -> str:
    return server.url.removeprefix("http://")


def push_all(server: Process, charts: list[Chart]) -> float:
    """Push every chart with Helm's client, one after the other; returns the seconds."""
    import helm_python

    remote = f"oci://{_host(server)}"
    started = time.perf_counter()
    for chart in charts:
        helm_python.push(chart.path, remote, plain_http=True)
    return time.perf_counter() - started


def pull_all(server: Process, charts: list[Chart], destination: str) -> float:
    """Pull every chart by version into ``destination``; returns the seconds. Raises when a
    pulled archive differs from the pushed one."""
    import helm_python

    os.makedirs(destination, exist_ok=True)
    started = time.perf_counter()
    for chart in charts:
        helm_python.pull(
            f"oci://{_host(server)}/{chart.name}",
            version=chart.version,
            destination=destination,
            plain_http=True,
        )
    seconds = time.perf_counter() - started
    for chart in charts:
        got = os.path.join(destination, os.path.basename(chart.path))
        if not os.path.exists(got) or _chart(got, chart.name, chart.version).digest != chart.digest:
            raise RuntimeError(f"pulled {chart.name}:{chart.version} differs from the pushed one")
    return seconds


def _get(url: str, headers: dict[str, str]) -> bytes:
    try:
        return fetch(url, headers)
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace")
        path = "/" + url.split("/", 3)[3]
        raise RuntimeError(f"GET {path} -> {exc.code} {body}") from exc


def manifest_url(server: Process, chart: Chart) -> str:
    """The URL of ``chart``'s manifest by tag, after checking it lists the chart's layer."""
    url = f"{server.url}/v2/{chart.name}/manifests/{chart.version}"
    manifest = json.loads(_get(url, {"Accept": MANIFEST_TYPE}))
    if chart.digest not in [layer.get("digest") for layer in manifest.get("layers", [])]:
        raise RuntimeError(f"manifest of {chart.name}:{chart.version} lacks {chart.digest}")
    return url


def blob_url(server: Process, chart: Chart) -> str:
    """The URL of ``chart``'s package blob, after checking it serves the exact bytes."""
    url = f"{server.url}/v2/{chart.name}/blobs/{chart.digest}"
    if "sha256:" + hashlib.sha256(_get(url, {})).hexdigest() != chart.digest:
        raise RuntimeError(f"blob {chart.digest} of {chart.name} has other content")
    return url


# ---------------------------------------------------------------- one server, one round


def _serving(url: str, seconds: float, sample: Sample, figure: Figure) -> None:
    headers = {"Accept": MANIFEST_TYPE} if figure is MANIFEST else {}
    result = load.wrk(url, seconds, headers=headers)
    sample.values[figure.name] = result.rps
    sample.wrk_errors[figure.name] = result.errors


def _steps(
    server: Process, charts: list[Chart], extra: dict[str, Chart], scratch: str, seconds: float
) -> list[tuple[str, Callable[[Sample], None]]]:
    def push(s: Sample) -> None:
        push_all(server, [extra["warmup"]])
        s.values[PUSH.name] = push_all(server, charts)

    def pull(s: Sample) -> None:
        pull_all(server, [extra["warmup"]], os.path.join(scratch, "warmup"))
        s.values[PULL.name] = pull_all(server, charts, os.path.join(scratch, "pulled"))

    def manifest(s: Sample) -> None:
        _serving(manifest_url(server, charts[0]), seconds, s, MANIFEST)

    def blob(s: Sample) -> None:
        push_all(server, [extra["big"]])
        _serving(blob_url(server, extra["big"]), seconds, s, BLOB)

    return [("push", push), ("pull", pull), ("manifest GET", manifest), ("blob GET", blob)]


def measure_server(
    server: Process,
    charts: list[Chart],
    extra: dict[str, Chart],
    scratch: str,
    seconds: float,
    strict: bool,
) -> Sample:
    """Every figure on one freshly started server. With ``strict`` an error raises; without,
    it is kept in the sample and the remaining figures are skipped."""
    sample = Sample()
    for what, step in _steps(server, charts, extra, scratch, seconds):
        try:
            step(sample)
        except Exception as exc:
            if strict:
                raise
            sample.error = f"{what}: {type(exc).__name__}: {exc}"[:300]
            break
    return sample


def _start_ours(root: str, log: str) -> Process:
    os.makedirs(root, exist_ok=True)
    server, _ = start_chartmuseum(root, log=log)
    try:
        _get(server.url + "/v2/", {})
    except Exception:
        server.stop()
        raise
    return server


def one_round(
    which: str, charts: list[Chart], extra: dict[str, Chart], work: str, seconds: float
) -> Sample:
    """Start ``which`` ("ours" or "reference") on empty storage, measure it, stop it."""
    root = os.path.join(work, "round", which)
    shutil.rmtree(root, ignore_errors=True)
    log = os.path.join(work, f"{which}.log")
    try:
        if which == "reference":
            server = start_registry(os.path.join(root, "storage"), log=log)
        else:
            server = _start_ours(os.path.join(root, "storage"), log)
    except Exception as exc:
        if which == "reference":
            raise
        return Sample(error=f"start: {type(exc).__name__}: {exc}")
    try:
        return measure_server(
            server, charts, extra, os.path.join(root, "client"), seconds, which == "reference"
        )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- rows


def _spread(values: list[float], unit: str) -> str:
    digits = 2 if unit == "s" else 0
    mid, low, high = statistics.median(values), min(values), max(values)
    return f"{mid:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


def make_row(figure: Figure, ours: list[Sample], reference: list[Sample]) -> OciRow:
    """The row of ``figure`` from the samples of every round (ratios ours/reference)."""
    refs = [s.values[figure.name] for s in reference]
    ref_text = "registry " + _spread(refs, figure.unit)
    target = f"{'>=' if figure.higher_is_better else '<='} {figure.target}"
    failed = [s.error for s in ours if figure.name not in s.values]
    if failed:
        return OciRow(figure.name, "error: " + failed[0], ref_text, math.nan, target, False)
    values = [s.values[figure.name] for s in ours]
    ratios = tuple(o / r for o, r in zip(values, refs, strict=True))
    ratio = statistics.median(ratios)
    ok = ratio >= figure.target if figure.higher_is_better else ratio <= figure.target
    ours_errors = sum(s.wrk_errors.get(figure.name, 0) for s in ours)
    ref_errors = sum(s.wrk_errors.get(figure.name, 0) for s in reference)
    ours_text = _spread(values, figure.unit) + (f" {ours_errors} errors" if ours_errors else "")
    ref_text += f" {ref_errors} errors" if ref_errors else ""
    clean = ours_errors == 0 and ref_errors == 0
    return OciRow(figure.name, ours_text, ref_text, ratio, target, ok and clean, ratios)


def run_oci(
    charts: int = 200, seconds: float = 10, rounds: int = 3, workdir: str = ""
) -> list[measure.Row]:
    """Measure ours against ``docker-registry`` in ``rounds`` interleaved rounds; returns one
    row per figure (an :class:`OciRow`, which also carries the per-round ratios)."""
    registry_binary()  # fail early and clearly when the reference is missing
    work = workdir or tempfile.mkdtemp(prefix="chartmuseum-bench-oci-")
    os.makedirs(work, exist_ok=True)
    try:
        packages = prepare_charts(work, charts)
        extras = os.path.join(work, "oci-extra")
        extra = {
            "warmup": _write_chart(
                extras, "warmup", "0.1.0", package("warmup", "0.1.0", random.Random(3))
            ),
            "big": _write_chart(extras, BIG_CHART, BIG_VERSION, big_package()),
        }
        samples: dict[str, list[Sample]] = {"ours": [], "reference": []}
        for _ in range(rounds):
            for which in ("ours", "reference"):
                samples[which].append(one_round(which, packages, extra, work, seconds))
        return [make_row(f, samples["ours"], samples["reference"]) for f in FIGURES]
    finally:
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- command line


def print_rows(rows: list[measure.Row], charts: int, rounds: int) -> None:
    """The table, as ``python -m bench`` prints it, plus each round's ratio and any error."""
    print(f"\nOCI registry: {charts} charts, median [min-max] of {rounds} interleaved rounds")
    header = (
        f"{'figure':34} {'ours':>24} {'reference':>32} {'ratio':>7}  {'target':8} "
        f"{'result':6} ratio per round"
    )
    print(header)
    print("-" * len(header))
    errors = []
    for r in rows:
        verdict = "PASS" if r.ok else "FAIL"
        ours = r.ours
        if ours.startswith("error: "):
            errors.append("ours failed: " + ours.removeprefix("error: "))
            ours = "error (below)"
        per_round = " ".join(f"{x:.3f}" for x in getattr(r, "ratios", ()))
        print(
            f"{r.figure:34} {ours:>24} {r.reference:>32} {r.ratio:7.3f}  {r.target:8} "
            f"{verdict:6} {per_round}"
        )
    for line in dict.fromkeys(errors):
        print(line)


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.oci")
    parser.add_argument("--charts", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 charts, 1 s wrk runs")
    parser.add_argument("--workdir", default="")
    args = parser.parse_args(argv)
    if args.quick:
        args.charts, args.seconds = 10, 1
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the table; exit 0 when every figure passes, 1 otherwise."""
    args = _args(sys.argv[1:] if argv is None else argv)
    rows = run_oci(args.charts, args.seconds, args.rounds, args.workdir)
    print_rows(rows, args.charts, args.rounds)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
