"""Shared fixtures. Helm's home folders point at a temporary folder for the whole run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from collections.abc import Iterator

import pytest

_HELM_HOME = tempfile.mkdtemp(prefix="helm-home-")
for _var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
    os.environ[_var] = os.path.join(_HELM_HOME, _var.lower())

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from app.factory import create_app  # noqa: E402
from app.options import Config  # noqa: E402
from tests.helpers import Server  # noqa: E402
from tests.helpers import start_server  # noqa: E402

# Settings that start with CHARTMUSEUM-style names must not leak in from the environment.
_OPTION_ENV = {f.metadata["env"] for f in Config.__dataclass_fields__.values()}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _OPTION_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def storage(tmp_path: pytest.TempPathFactory) -> str:
    path = os.path.join(str(tmp_path), "storage")
    os.makedirs(path)
    return path


@pytest.fixture
def make_app(storage: str) -> Callable[..., Flask]:
    def _make(**options: object) -> Flask:
        options.setdefault("storage", "local")
        options.setdefault("storage_local_rootdir", storage)
        return create_app(Config(**options))  # type: ignore[arg-type]

    return _make


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app().test_client()


@pytest.fixture
def run_server(tmp_path: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def _run(*args: str, **kw: object) -> Server:
        log = os.path.join(str(tmp_path), f"server-{len(servers)}.log")
        server = start_server(list(args), log, **kw)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield _run
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def helm():
    import helm_python

    return helm_python


@pytest.fixture(scope="session")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A throw-away signing key: legacy secret keyring for helm sign, public for verify."""
    home = tmp_path_factory.mktemp("gnupg")
    os.chmod(home, 0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", "Helm Test <helm@test.local>", "rsa2048", "sign", "never"],
        env=env,
        check=True,
        capture_output=True,
    )
    secring, pubring = home / "secring.gpg", home / "pubring.gpg"
    with open(secring, "wb") as fh:
        subprocess.run([*gpg, "--export-secret-keys"], env=env, check=True, stdout=fh)
    with open(pubring, "wb") as fh:
        subprocess.run(["gpg", "--batch", "--export"], env=env, check=True, stdout=fh)
    yield {"secring": str(secring), "pubring": str(pubring)}
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def redis_server():
    from tests.helpers import start_redis

    server = start_redis()
    yield server
    server.stop()
