"""The OCI benchmark keeps working: a quick run against docker-registry produces every figure
(timings not asserted)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

FIGURES = [
    "OCI push, Helm client (s)",
    "OCI pull, Helm client (s)",
    "OCI manifest GET (req/s)",
    "OCI 1 MiB blob GET (req/s)",
]


def test_quick_oci_benchmark_produces_every_figure(tmp_path: Path) -> None:
    assert shutil.which("docker-registry"), (
        "docker-registry (the reference registry) is not installed: "
        "apt-get install -y docker-registry, or make system-deps"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bench.oci", "--quick", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode in (0, 1), f"{result.stderr}\n{out}"  # 1 = some target missed
    assert "OCI registry: 10 charts" in out, out
    for figure in FIGURES:
        line = next((ln for ln in out.splitlines() if ln.startswith(figure)), None)
        assert line is not None, f"{figure} missing:\n{out}"
        assert re.search(r"registry \d", line), line  # the reference was measured
        assert re.search(r"\s\d+\.\d{3}\s", line), f"no ratio (ours failed?):\n{out}"
        assert re.search(r"\s(PASS|FAIL)\s", line), line
