"""Test servers, emulators and fakes used by the backend tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a server started with ``start_new_session=True`` and everything it spawned."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def child_server(script: str, args: list[str], name: str) -> Iterator[str]:
    """Run a stdlib fake (``script`` prints ``PORT <n>`` once listening) in its own session;
    yields its endpoint ``http://127.0.0.1:<n>``."""
    cmd = [sys.executable, os.path.abspath(script), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"{name} did not start (exit {proc.wait(10)})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        stop_group(proc)
