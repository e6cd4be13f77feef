"""Deterministic, realistic chart packages for benchmarks (name-version.tgz)."""

from __future__ import annotations

import gzip
import io
import os
import random
import tarfile


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
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime, info.mode = len(data), 1700000000, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def generate(folder: str, charts: int, versions: int, seed: int = 7) -> int:
    """Write ``charts`` x ``versions`` packages into ``folder``; returns how many."""
    os.makedirs(folder, exist_ok=True)
    rnd = random.Random(seed)
    for c in range(charts):
        name = f"chart{c:05d}"
        for v in range(versions):
            version = f"{v // 10}.{v % 10}.{rnd.randint(0, 3)}"
            with open(os.path.join(folder, f"{name}-{version}.tgz"), "wb") as fh:
                fh.write(package(name, version, rnd))
    return charts * versions
