"""The chart installs from the repository it serves: deploy/package-and-upload.sh packages
helm-chart/ and uploads it to a running server; Helm pulls it back and renders it.

The script packages with ``helm`` when there is one; here (no helm binary) it uses the Helm SDK
(``helm_python.package``), which is what these tests exercise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.deploy.support import CHART_DIR
from tests.deploy.support import REPO

pytestmark = pytest.mark.e2e

SCRIPT = os.path.join(REPO, "deploy", "package-and-upload.sh")
USER, PASSWORD = "admin", 'p@ss "word" \\ with quotes'
#: stands in for `helm package CHART --destination DIR [--version V]` and prints what helm does
HELM_STUB = """#!/usr/bin/env bash
exec "$PYTHON" - "$@" <<'PY'
import sys

import helm_python

args = sys.argv[1:]
assert args[:1] == ["package"], args
version = args[args.index("--version") + 1] if "--version" in args else None
path = helm_python.package(args[1], destination=args[args.index("--destination") + 1], version=version)
print(f"Successfully packaged chart and saved it to: {path}")
PY
"""


def _chart_version() -> str:
    with open(os.path.join(CHART_DIR, "Chart.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["version"]


def _upload(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "HELM": "helm-is-not-installed-here",  # use the SDK fallback, deterministically
        "PYTHON": sys.executable,
        "CHARTMUSEUM_USER": USER,
        "CHARTMUSEUM_PASS": PASSWORD,
        **env,
    }
    return subprocess.run(
        ["bash", SCRIPT, url], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_script_is_documented_and_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
    with open(SCRIPT, encoding="utf-8") as fh:
        header = fh.read().split("set -euo pipefail", 1)[0]
    for word in ("Usage:", "CHARTMUSEUM_USER", "FORCE=1", "REPO_PATH", "helm repo add"):
        assert word in header, word


def test_chart_installs_from_the_repository_it_serves(run_server, storage, helm, tmp_path) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--basic-auth-user={USER}",
        f"--basic-auth-pass={PASSWORD}",
        "--context-path=/helm",
        "--depth=1",
    )
    base = server.url + "/helm"
    repo = base + "/platform"
    version = _chart_version()

    first = _upload(base, REPO_PATH="platform")
    assert first.returncode == 0, first.stdout + first.stderr
    assert '{"saved":true}' in first.stdout.replace(" ", "")
    assert f"chartmuseum-{version}.tgz -> {base}/api/platform/charts" in first.stderr

    again = _upload(base, REPO_PATH="platform")
    assert again.returncode != 0
    assert "already exists" in again.stdout + again.stderr
    forced = _upload(base, REPO_PATH="/platform/", FORCE="1", OUT_DIR=str(tmp_path / "pkg"))
    assert forced.returncode == 0, forced.stdout + forced.stderr
    kept = tmp_path / "pkg" / f"chartmuseum-{version}.tgz"
    assert kept.is_file()

    denied = _upload(base, REPO_PATH="platform", CHARTMUSEUM_PASS="wrong")
    assert denied.returncode != 0

    # with a helm command: its arguments and its output as helm has them
    stub = tmp_path / "helm"
    stub.write_text(HELM_STUB)
    stub.chmod(0o755)
    with_helm = _upload(base, REPO_PATH="platform", HELM=str(stub), CHART_VERSION="0.0.1-rc.1")
    assert with_helm.returncode == 0, with_helm.stdout + with_helm.stderr
    assert "chartmuseum-0.0.1-rc.1.tgz" in with_helm.stderr

    # helm repo add + helm install, as a user would
    index = helm.repo_index(repo, username=USER, password=PASSWORD)
    entry, candidate = index["entries"]["chartmuseum"]
    assert (entry["version"], entry["appVersion"]) == (version, "0.16.5")
    assert candidate["version"] == "0.0.1-rc.1"
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull(
        "chartmuseum",
        repo_url=repo,
        version=version,
        destination=str(dest),
        username=USER,
        password=PASSWORD,
    )
    pulled = dest / f"chartmuseum-{version}.tgz"
    assert pulled.read_bytes() == kept.read_bytes()
    with tarfile.open(pulled) as tar:
        names = tar.getnames()
    assert "chartmuseum/values.schema.json" in names
    assert not [n for n in names if "/ci/" in n], "example values stay out of the package"

    chart = helm.Chart.load(str(pulled))
    local = helm.Chart.load(CHART_DIR)
    assert sorted(t["name"] for t in chart.templates) == sorted(t["name"] for t in local.templates)
    values = {
        "env": {"open": {"DISABLE_API": False, "DEPTH": 1, "CONTEXT_PATH": "/helm"}},
        "persistence": {"enabled": True},
    }
    rendered = chart.render(values, name="museum", namespace="tools")
    docs = [
        d
        for path, text in rendered.items()
        if path.endswith(".yaml")
        for d in yaml.safe_load_all(text)
        if d
    ]
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Service"]
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "chartmuseum:0.16.5"
    assert container["readinessProbe"]["httpGet"]["path"] == "/helm/health"
    assert "helm repo add" in rendered["chartmuseum/templates/NOTES.txt"]
