"""Test helpers: in-memory chart packages and a real server process."""

from __future__ import annotations

import gzip
import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests

BIN = os.path.dirname(sys.executable)


def chart_yaml(name: str, version: str, **extra: str) -> str:
    lines = ["apiVersion: v2", f"name: {name}", f"version: {version}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def make_tgz(files: Mapping[str, bytes | str], top: str = "chart") -> bytes:
    """A gzipped tar with ``files`` under the folder ``top``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, data in files.items():
            payload = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(f"{top}/{path}" if top else path)
            info.size, info.mode, info.mtime = len(payload), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(raw.getvalue(), mtime=0)


def make_chart(name: str = "mychart", version: str = "0.1.0", **extra: str) -> bytes:
    """A small valid chart package."""
    return make_tgz(
        {
            "Chart.yaml": chart_yaml(name, version, **extra),
            "values.yaml": "# default values\nreplicaCount: 1\n",
            "templates/configmap.yaml": "kind: ConfigMap\n",
        },
        top=name,
    )


def make_prov(name: str = "mychart", version: str = "0.1.0") -> bytes:
    """A provenance document shaped like Helm's (not really signed)."""
    return (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        f"apiVersion: v2\nname: {name}\nversion: {version}\n\n...\nfiles:\n"
        f"  {name}-{version}.tgz: sha256:00\n"
        "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"
    ).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``chartmuseum`` process."""

    proc: subprocess.Popen[bytes]
    url: str
    log_path: str

    def get(self, path: str, **kw: object) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kw)  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kw)  # type: ignore[arg-type]

    def delete(self, path: str, **kw: object) -> requests.Response:
        return requests.delete(self.url + path, timeout=30, **kw)  # type: ignore[arg-type]

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_server(
    args: list[str],
    log_path: str,
    env: Mapping[str, str] | None = None,
    command: list[str] | None = None,
    scheme: str = "http",
    port: int | None = None,
    wait: bool = True,
) -> Server:
    """Start ``chartmuseum`` (or ``command``) on a free port and wait until it is healthy."""
    port = port or free_port()
    full_env = {**os.environ, **(env or {})}
    cmd = (command or [os.path.join(BIN, "chartmuseum")]) + args
    if command is None:
        cmd += [f"--port={port}", "--listen-host=127.0.0.1"]
    else:
        full_env.setdefault("PORT", str(port))
        full_env.setdefault("LISTEN_HOST", "127.0.0.1")
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    server = Server(proc, f"{scheme}://127.0.0.1:{port}", log_path)
    if wait:
        _wait_healthy(server)
    return server


def _wait_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited {server.proc.returncode}:\n{server.log()}")
        try:
            requests.get(server.url + "/health", timeout=2, verify=False)
            return
        except requests.exceptions.SSLError:
            return  # listening; the handshake needs a client certificate
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become healthy:\n{server.log()}")


@dataclass
class RedisServer:
    """A throw-away redis-server on a free port."""

    proc: subprocess.Popen[bytes]
    port: int

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def start_redis(port: int | None = None) -> RedisServer:
    """Start redis-server (no persistence) and wait until it answers."""
    port = port or free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(proc, port)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")
