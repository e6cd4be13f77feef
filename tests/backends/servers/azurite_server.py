"""Launch Azurite's blob service (npm package, installed by .ci/deps/microsoft.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.backends.servers import stop_group
from tests.helpers import free_port

#: where .ci/deps/microsoft.sh installs Azurite; AZURITE_BLOB_BIN overrides it
INSTALL_DIR = "/opt/chartmuseum-test/azurite"
ACCOUNT = "devstoreaccount1"
#: Azurite's well-known development key (public, documented by Microsoft)
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_binary() -> str:
    """Path of ``azurite-blob`` (fails loudly when it is not installed)."""
    candidates = [
        os.environ.get("AZURITE_BLOB_BIN", ""),
        os.path.join(INSTALL_DIR, "node_modules", ".bin", "azurite-blob"),
        shutil.which("azurite-blob") or "",
    ]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    raise RuntimeError(
        f"azurite-blob not found in {INSTALL_DIR}: run .ci/system-deps.sh "
        "(npm install azurite) or set AZURITE_BLOB_BIN"
    )


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, encoding="utf-8", errors="replace") as fh:
                raise RuntimeError(f"azurite exited with {proc.returncode}:\n{fh.read()}")
        try:
            requests.get(url, params={"comp": "list"}, timeout=2)
            return  # any HTTP answer (403 without a signature) means it is listening
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"azurite did not answer on {url} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_group(proc)


@contextmanager
def azurite() -> Iterator[str]:
    """Run an in-memory Azurite blob service on a free port; yields the account's blob URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/{ACCOUNT}"
    cmd = [
        azurite_binary(),
        *("--blobHost", "127.0.0.1", "--blobPort", str(port)),
        *("--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose"),
    ]
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        log = os.path.join(workdir, "azurite.log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_ready(proc, url, log)
            yield url
        finally:
            _stop(proc)


def connection_string(url: str) -> str:
    """An Azure connection string for the Azurite account at ``url``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={url};"
    )
