"""Start and stop the reference OCI registry: Debian's ``docker-registry`` (CNCF distribution
2.8), without systemd, on a free port with a filesystem root of our choosing.

Its configuration is Debian's ``/etc/docker/registry/config.yml`` without the htpasswd auth
and the storage health check (our server runs without auth too): in-memory blob descriptor
cache, deletes enabled, the ``X-Content-Type-Options`` header, access log at info level.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from bench.servers import Process
from bench.servers import fetch
from bench.servers import free_port

CONFIG = """\
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  headers:
    X-Content-Type-Options: [nosniff]
"""


def registry_binary() -> str:
    """Path of ``docker-registry``; raises with the install command when it is missing."""
    found = shutil.which("docker-registry")
    if found is None:
        raise RuntimeError(
            "docker-registry is not installed: apt-get install -y docker-registry "
            "(make system-deps installs it)"
        )
    return found


def start_registry(root: str, log: str = os.devnull) -> Process:
    """``docker-registry serve`` with its storage under ``root``/data; returns once
    ``GET /v2/`` answers."""
    binary = registry_binary()
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    port = free_port()
    conf = os.path.join(root, "reg.yml")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(CONFIG.format(root=os.path.join(root, "data"), port=port))
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [binary, "serve", conf], stdout=out, stderr=out, start_new_session=True
        )
    server = Process(proc, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {proc.returncode}; see {log}")
        try:
            fetch(server.url + "/v2/", timeout=10)
            return server
        except OSError:
            time.sleep(0.02)
    server.stop()
    raise RuntimeError("docker-registry did not answer GET /v2/ in time")
