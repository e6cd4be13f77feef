"""Fixtures for end-to-end tests: a GnuPG keyring and a Helm-made chart."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest


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
def helm_chart(helm, tmp_path) -> str:
    """A chart scaffolded and packaged by Helm itself; returns the .tgz path."""
    src = tmp_path / "src"
    src.mkdir()
    helm.Chart.create("webapp", str(src))
    out = tmp_path / "pkg"
    out.mkdir()
    return str(helm.package(str(src / "webapp"), destination=str(out)))
