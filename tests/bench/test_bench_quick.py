"""The benchmark keeps working: a small run produces every figure, with its spread over the
rounds, a ratio and a verdict (timings are never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY_FIGURES = [
    "cold index build",
    "warm restart",
    "worker peak RSS",
    "serve index.yaml, plain",
    "serve index.yaml, gzip",
    "10 MiB package download",
    "5 KB package download",
    "/health",
    "upload latency, median",
    "mixed load, index reads p99/p50",
]
TENANT_FIGURES = [
    "tenants: startup to first /health",
    "tenants: first read p99",
    "tenants: later reads p99",
    "tenants: worker peak RSS",
    "tenants: mixed load, reads p99/p50",
]
SPREAD = r"\d+(\.\d+)? \[\d+(\.\d+)?-\d+(\.\d+)?\]"  # median [min-max]


def _section(out: str, title: str) -> list[str]:
    lines = out.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith(title)), None)
    assert start is not None, f"{title!r} missing:\n{out}"
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def _check(section: list[str], figures: list[str], out: str) -> None:
    for figure in figures:
        line = next((ln for ln in section if ln.startswith(figure + " ")), None)
        assert line is not None, f"{figure} missing:\n{out}"
        assert re.search(r"\s\d+\.\d{3}\s+\[\d+\.\d{3}-\d+\.\d{3}\]", line), line  # ratio, range
        assert len(re.findall(SPREAD, line)) >= 1, line  # ours over the rounds
        assert line.rstrip().endswith(("PASS", "FAIL")), line


def test_quick_benchmark_produces_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode in (0, 1), f"{result.stderr}\n{out}"  # 1 = some target missed
    assert re.search(r"^CPU: .+, \d+ cores; load average", out, re.M), out
    assert "median [min-max] of 3 interleaved rounds" in out
    _check(_section(out, "N = 500 chart versions"), REPOSITORY_FIGURES, out)
    _check(_section(out, "20 tenants x 10 versions (--depth 1)"), TENANT_FIGURES, out)
    assert re.search(r"^\d+ of 15 figures PASS", out, re.M), out


def test_make_bench_runs_every_section() -> None:
    from bench.__main__ import _args

    args = _args([])
    assert (args.charts, args.tenants, args.oci, args.rounds) == ([1000, 10000], 1000, True, 3)
    quick = _args(["--quick"])
    assert (quick.charts, quick.tenants, quick.oci) == ([50], 20, False)


def test_oci_rows_join_the_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench.__main__ as main
    from bench.oci import OciRow

    row = OciRow(
        "OCI push, Helm client (s)",
        "1.00 [0.9-1.1]",
        "registry 1.00 [1-1]",
        1.0,
        "<= 1.0",
        True,
        (1.0, 0.9, 1.1),
    )
    monkeypatch.setattr(main, "run_oci", lambda *a, **k: [row])
    assert main.main(["--oci", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in _section(out, "OCI registry: 200 charts") if ln.startswith("OCI push"))
    assert line.rstrip().endswith("PASS") and "[0.900-1.100]" in line
