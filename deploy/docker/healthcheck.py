"""Container health check: ``GET <context path>/health`` on the server in this container.

The image's ``HEALTHCHECK`` runs ``python /app/healthcheck.py``. It reads the same settings as
the server (env vars and the ``CONFIG`` file), so the port, context path and TLS always match.
When client certificates are required (TLS_CA_CERT) it can only check that the port accepts
connections. Exit status 0: healthy; 1: not.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import urllib.request

from app.config import load_config
from app.startup import normalise


def main() -> int:
    config = normalise(load_config(environ=os.environ))
    host = config.listen_host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    tls = bool(config.tls_cert and config.tls_key)
    try:
        if tls and config.tls_ca_cert:
            with socket.create_connection((host, config.port), timeout=3):
                return 0
        netloc = f"[{host}]:{config.port}" if ":" in host else f"{host}:{config.port}"
        url = f"{'https' if tls else 'http'}://{netloc}{config.context_path}/health"
        context = None
        if tls:  # our own listener, reached by address: its certificate names another host
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(url, timeout=3, context=context) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
