"""Deterministic, realistic chart packages for benchmarks (name-version.tgz).

Generation runs in parallel (one task per chunk of charts, each chart seeded on its own, so
the bytes do not depend on the number of processes) and writes each package straight to disk:
N = 100,000 takes about as much memory as N = 10. A marker file beside the folder records what
was generated, so a later run with the same ``--workdir`` reuses it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
from concurrent.futures import ProcessPoolExecutor

CHUNK = 200  # charts per parallel task


def _chart_yaml(name: str, version: str, rnd: random.Random) -> bytes:
    deps = "".join(
        f'  - name: dep{j}\n    version: "~{j}.0.0"\n'
        "    repository: https://charts.example.com/stable\n"
        for j in range(rnd.randint(0, 2))
    )
    text = (
        f"apiVersion: v2\nname: {name}\nversion: {version}\n"
        f"description: {name} is a generated chart used to measure a chart repository\n"
        f'type: application\nappVersion: "{rnd.randint(1, 9)}.{rnd.randint(0, 30)}.0"\n'
        f"home: https://example.com/{name}\nicon: https://example.com/{name}/icon.png\n"
        f"keywords:\n  - {name}\n  - bench\nsources:\n  - https://example.com/src/{name}\n"
        f"maintainers:\n  - name: Team {rnd.randint(1, 50)}\n"
        f"    email: team{rnd.randint(1, 50)}@example.com\n"
        + (f"dependencies:\n{deps}" if deps else "")
        + "annotations:\n  category: Infrastructure\n"
    )
    return text.encode()


def archive(name: str, files: dict[str, bytes]) -> bytes:
    """A chart package: ``files`` under the folder ``name``, tarred and gzipped (fixed times)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime, info.mode = len(data), 1700000000, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def package(name: str, version: str, rnd: random.Random) -> bytes:
    """One chart archive shaped like `helm package` output."""
    files = {
        "Chart.yaml": _chart_yaml(name, version, rnd),
        "values.yaml": b"replicaCount: 1\nimage:\n  repository: nginx\n  tag: stable\n"
        + b"# padding\n" * rnd.randint(5, 60),
        "templates/deployment.yaml": b"apiVersion: apps/v1\nkind: Deployment\n"
        b"metadata:\n  name: {{ .Release.Name }}\n",
        "templates/service.yaml": b"apiVersion: v1\nkind: Service\n",
        ".helmignore": b".git/\n",
    }
    return archive(name, files)


MAX_FILE = 4 << 20  # Helm refuses a chart holding a file larger than 5 MiB decompressed


def sized_package(name: str, version: str, size: int) -> bytes:
    """A valid chart whose package is ``size`` bytes (give or take a few): incompressible
    data in ``files/random-<i>.bin`` (at most 4 MiB each) beside a minimal Chart.yaml (used
    for the download figures)."""
    first = _sized(name, version, size, size)
    return _sized(name, version, size, max(0, 2 * size - len(first)))


def _sized(name: str, version: str, seed: int, payload_size: int) -> bytes:
    chart_yaml = (
        f"apiVersion: v2\nname: {name}\nversion: {version}\n"
        "description: a chart carrying incompressible data, to measure downloads\n"
        "type: application\n"
    ).encode()
    payload = random.Random(seed).randbytes(payload_size)
    files = {"Chart.yaml": chart_yaml}
    for i in range(0, len(payload), MAX_FILE):
        files[f"files/random-{i // MAX_FILE}.bin"] = payload[i : i + MAX_FILE]
    return archive(name, files)


def _write_charts(folder: str, first: int, count: int, versions: int, seed: int) -> int:
    for c in range(first, first + count):
        rnd = random.Random(seed * 1_000_003 + c)
        name = f"chart{c:05d}"
        for v in range(versions):
            version = f"{v // 10}.{v % 10}.{rnd.randint(0, 3)}"
            with open(os.path.join(folder, f"{name}-{version}.tgz"), "wb") as fh:
                fh.write(package(name, version, rnd))
    return count * versions


def _marker(folder: str) -> str:
    return folder.rstrip("/") + ".generated.json"


def _already(folder: str, spec: dict[str, int]) -> bool:
    try:
        with open(_marker(folder), encoding="utf-8") as fh:
            return bool(json.load(fh) == spec) and os.path.isdir(folder)
    except (OSError, ValueError):
        return False


def _run(tasks: list[tuple[str, int, int, int, int]], jobs: int) -> None:
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            _write_charts(*task)
        return
    with ProcessPoolExecutor(jobs) as pool:
        for future in [pool.submit(_write_charts, *task) for task in tasks]:
            future.result()


def generate(folder: str, charts: int, versions: int, seed: int = 7, jobs: int = 0) -> int:
    """Write ``charts`` x ``versions`` packages into ``folder`` (reused when a previous run
    generated the same); returns how many."""
    spec = {"charts": charts, "versions": versions, "seed": seed, "tenants": 0}
    if not _already(folder, spec):
        os.makedirs(folder, exist_ok=True)
        tasks = [
            (folder, first, min(CHUNK, charts - first), versions, seed)
            for first in range(0, charts, CHUNK)
        ]
        _run(tasks, jobs or os.cpu_count() or 1)
        with open(_marker(folder), "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
    return charts * versions


def tenant_name(t: int) -> str:
    """The path segment of tenant number ``t``."""
    return f"team{t:04d}"


def generate_tenants(root: str, tenants: int, versions: int, seed: int = 7, jobs: int = 0) -> int:
    """One folder per tenant under ``root`` (``--depth 1``), each holding one chart (its own
    name) in ``versions`` versions; reused when a previous run generated the same."""
    spec = {"charts": 1, "versions": versions, "seed": seed, "tenants": tenants}
    if not _already(root, spec):
        tasks = []
        for t in range(tenants):
            folder = os.path.join(root, tenant_name(t))
            os.makedirs(folder, exist_ok=True)
            tasks.append((folder, t, 1, versions, seed))
        _run(tasks, jobs or os.cpu_count() or 1)
        with open(_marker(root), "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
    return tenants * versions


UPLOADED_MAJOR = 100
"""Versions the benchmark uploads have a major version at least this (generated ones stay
below), so :func:`remove_uploads` can put a reused folder back as it was generated."""


def remove_uploads(folder: str) -> int:
    """Remove the packages a benchmark uploaded into ``folder`` (and its tenant folders);
    returns how many."""
    removed = 0
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            if _uploaded(filename):
                os.remove(os.path.join(dirpath, filename))
                removed += 1
    return removed


def _uploaded(filename: str) -> bool:
    if not filename.endswith(".tgz") or "-" not in filename:
        return False
    major = filename.rsplit("-", 1)[1].split(".", 1)[0]
    return major.isdigit() and int(major) >= UPLOADED_MAJOR
