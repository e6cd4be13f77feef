"""Start and stop the processes a benchmark measures: our server, nginx and the bare Flask
app (:mod:`bench.bare_app`)."""

from __future__ import annotations

import compileall
import functools
import gzip
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
START_TIMEOUT = 300.0  # seconds a server may take to answer its first request
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> bytes:
    """GET ``url``; the body (raises on an error status)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


@dataclass
class Process:
    """A started server process (its own session, so children stop with it)."""

    proc: subprocess.Popen[bytes]
    url: str
    stop_signal: int = signal.SIGTERM

    def stop(self) -> None:
        """Send ``stop_signal`` to the whole process group; SIGKILL after 30 s."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, self.stop_signal)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def worker_pids(self) -> list[int]:
        """The direct children of the server process (gunicorn's workers)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]

    def worker_peak_rss_kb(self) -> int:
        """The largest peak RSS (``VmHWM``) among the workers, in KiB."""
        peaks = [0]
        for pid in self.worker_pids():
            try:
                with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                    hwm = [line for line in fh if line.startswith("VmHWM:")]
            except OSError:
                continue  # a worker that just exited
            peaks += [int(hwm[0].split()[1])] if hwm else []
        return max(peaks)


def _listening(url: str) -> bool:
    """Whether something accepts connections at ``url``'s port (a connect, no request)."""
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) == 0


def _wait_ready(server: Process, path: str, started: float, poll: float, what: str) -> float:
    """Seconds from ``started`` to the first complete ``GET path``. Until the port listens
    it is polled with bare connects, cheap enough to poll every ``poll`` seconds beside a
    starting server; then the GET waits in the listen queue until a worker answers, so
    the figure is not rounded up to the polling interval."""
    deadline = started + START_TIMEOUT
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {server.proc.returncode}")
        if not _listening(server.url):
            time.sleep(poll)
            continue
        try:
            fetch(server.url + path, timeout=max(1.0, deadline - time.perf_counter()))
            return time.perf_counter() - started
        except OSError:
            time.sleep(poll)
    server.stop()
    raise RuntimeError(f"{what} did not answer GET {path} within {START_TIMEOUT:.0f} s")


@functools.cache
def compile_sources() -> None:
    """Write the bytecode of our sources once, as the image does (``compileall`` at build)
    and as ``pip install`` of a wheel does: with ``PYTHONDONTWRITEBYTECODE`` set (some shells
    and our image set it) a checkout's modules would be compiled again by every process start,
    a cost no deployment pays."""
    for folder in ("app", "backends"):
        compileall.compile_dir(os.path.join(ROOT, folder), quiet=1)
    compileall.compile_file(os.path.join(ROOT, "wsgi.py"), quiet=1)


def _spawn(cmd: list[str], log: str) -> tuple[subprocess.Popen[bytes], float]:
    compile_sources()
    started = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True, cwd=ROOT)
    return proc, started


def start_chartmuseum(
    storage: str,
    *extra: str,
    log: str = os.devnull,
    ready: str = "/index.yaml",
    poll: float = 0.002,
) -> tuple[Process, float]:
    """Start `chartmuseum` on ``storage``; returns it and the seconds until the first
    complete ``GET ready`` (polled every ``poll`` seconds)."""
    port = free_port()
    cmd = [
        os.path.join(BIN, "chartmuseum"),
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--port={port}",
        "--listen-host=127.0.0.1",
        *extra,
    ]
    proc, started = _spawn(cmd, log)
    server = Process(proc, f"http://127.0.0.1:{port}")
    try:
        return server, _wait_ready(server, ready, started, poll, "chartmuseum")
    except BaseException:
        server.stop()
        raise


def start_bare(log: str = os.devnull) -> Process:
    """The bare Flask app of :mod:`bench.bare_app` under our gunicorn settings."""
    port = free_port()
    cmd = [sys.executable, "-m", "bench.bare_app", f"--port={port}", "--listen-host=127.0.0.1"]
    proc, started = _spawn(cmd, log)
    server = Process(proc, f"http://127.0.0.1:{port}", signal.SIGINT)  # gunicorn: quick stop
    try:
        _wait_ready(server, "/health", started, 0.002, "the bare Flask app")
    except BaseException:
        server.stop()
        raise
    return server


def reset_state(storage: str) -> None:
    """Remove every trace of earlier runs: shared state and the state files (also in tenant
    folders one level down)."""
    shutil.rmtree(os.path.join(storage, ".chartmuseum"), ignore_errors=True)
    folders = [storage] + [e.path for e in os.scandir(storage) if e.is_dir()]
    for folder in folders:
        for name in ("index-cache.yaml", "index.yaml"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                os.remove(path)
    os.sync()  # the removals' disk work (journal, discards) is not the measured server's


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
    types {{ application/x-yaml yaml; application/x-tar tgz; }}
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        gzip_static on;
    }}
}}
"""


def _nginx_files(root: str, index: bytes, files: dict[str, str]) -> None:
    www = os.path.join(root, "www")
    shutil.rmtree(www, ignore_errors=True)
    os.makedirs(www)
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    with open(os.path.join(www, "index.yaml"), "wb") as fh:
        fh.write(index)
    with open(os.path.join(www, "index.yaml.gz"), "wb") as fh:
        fh.write(gzip.compress(index, compresslevel=6))
    for path, source in files.items():
        target = os.path.join(www, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        os.chmod(target, 0o644)


def start_nginx(root: str, index: bytes, files: dict[str, str] | None = None) -> Process:
    """nginx serving ``index`` as /index.yaml, with a gzip_static copy beside it, and a copy
    of each file of ``files`` (URL path -> local file)."""
    _nginx_files(root, index, files or {})
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
