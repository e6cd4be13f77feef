"""Start and stop the processes a benchmark measures: our server and nginx."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


@dataclass
class Process:
    """A started server process (its own session, so children stop with it)."""

    proc: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]


def start_chartmuseum(storage: str, *extra: str, log: str = os.devnull) -> tuple[Process, float]:
    """Start `chartmuseum` on ``storage``; returns it and the seconds until the first
    complete ``GET /index.yaml``."""
    port = free_port()
    cmd = [
        os.path.join(BIN, "chartmuseum"),
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--port={port}",
        "--listen-host=127.0.0.1",
        *extra,
    ]
    started = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True)
    server = Process(proc, f"http://127.0.0.1:{port}")
    deadline = started + 600
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chartmuseum exited with {proc.returncode}")
        try:
            fetch(server.url + "/index.yaml", timeout=600)
            return server, time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    server.stop()
    raise RuntimeError("chartmuseum did not serve index.yaml in time")


def reset_state(storage: str) -> None:
    """Remove every trace of earlier runs: shared state and the state file."""
    shutil.rmtree(os.path.join(storage, ".chartmuseum"), ignore_errors=True)
    for name in ("index-cache.yaml", "index.yaml"):
        path = os.path.join(storage, name)
        if os.path.exists(path):
            os.remove(path)


NGINX_CONF = """\
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    types {{ application/x-yaml yaml; }}
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        gzip_static on;
    }}
}}
"""


def start_nginx(root: str, index: bytes) -> Process:
    """nginx serving ``index`` as /index.yaml, with a gzip_static copy beside it."""
    import gzip

    os.makedirs(os.path.join(root, "www"), exist_ok=True)
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    with open(os.path.join(root, "www", "index.yaml"), "wb") as fh:
        fh.write(index)
    with open(os.path.join(root, "www", "index.yaml.gz"), "wb") as fh:
        fh.write(gzip.compress(index, compresslevel=6))
    port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(NGINX_CONF.format(root=root, port=port))
    proc = subprocess.Popen(
        ["nginx", "-c", conf, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Process(proc, f"http://127.0.0.1:{port}")
    for _ in range(200):
        try:
            fetch(server.url + "/index.yaml")
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("nginx did not start")
