"""The benchmark keeps working: a small run produces every figure (timings not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

FIGURES = [
    "cold index build",
    "warm restart",
    "serve index.yaml, plain",
    "serve index.yaml, gzip",
    "worker peak RSS",
    "upload latency, median",
    "mixed load, index reads p99/p50",
]


def test_quick_benchmark_produces_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr  # 1 = some target missed at N=500
    out = result.stdout
    assert "N = 500 chart versions" in out
    for figure in FIGURES:
        line = next((ln for ln in out.splitlines() if ln.startswith(figure)), None)
        assert line is not None, f"{figure} missing:\n{out}"
        assert re.search(r"\s\d+\.\d{3}\s", line), line  # a ratio was computed
        assert line.rstrip().endswith(("PASS", "FAIL"))
