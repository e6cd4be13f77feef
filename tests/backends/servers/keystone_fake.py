"""A fake Keystone (identity v2.0 and v3 password auth) in front of a real Swift's tempauth.

Keystone v2.0 is gone from real Keystone, and real Keystone is heavy to install; the
openstack backend only needs the client side of Keystone auth to be real. This server checks
the password credentials and the project scope, obtains a real tempauth token from Swift for
``<project>:<user>`` and answers with a Keystone token whose catalog's ``object-store``
endpoint (region ``RegionOne``) is the tempauth storage URL. ``RegionTwo`` points at a closed
port, so a wrong region is noticed. Standard library only.

Known identities (matching :mod:`tests.backends.servers.swift_server`): user ``tester``
(id ``u-tester``) with password ``testing`` in domain ``Default`` (id ``default``), project
``test`` (id ``p-test``). ``GET /_fake/stats`` returns ``{"tokens": <issued so far>}``.

Run ``python keystone_fake.py PORT SWIFT_URL``; in tests use :func:`running`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

USERS = {"tester": ("u-tester", "testing")}
PROJECTS = {"test": "p-test"}
DOMAINS = {"Default": "default"}
REGION, OTHER_REGION = "RegionOne", "RegionTwo"
_stats = {"tokens": 0}
_stats_lock = threading.Lock()


class AuthError(Exception):
    """Rejected credentials: ``status`` and message for the error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _domain_ok(ref: dict[str, Any] | None) -> bool:
    if not ref:
        return False
    return ref.get("name") in DOMAINS or ref.get("id") in DOMAINS.values()


def _find_user(name: str | None, user_id: str | None, password: str | None) -> str:
    for user, (uid, secret) in USERS.items():
        if (name == user or user_id == uid) and password == secret:
            return user
    raise AuthError(401, "The request you have made requires authentication.")


def _find_project(name: str | None, project_id: str | None) -> str:
    for project, pid in PROJECTS.items():
        if name == project or project_id == pid:
            return project
    raise AuthError(401, "Could not find project.")


def _tempauth(swift_url: str, project: str, user: str) -> tuple[str, str]:
    """A real Swift token and storage URL for ``project:user``."""
    request = urllib.request.Request(
        f"{swift_url}/auth/v1.0",
        headers={"X-Auth-User": f"{project}:{user}", "X-Auth-Key": USERS[user][1]},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.headers["X-Storage-Url"], resp.headers["X-Auth-Token"]


def _v3_credentials(body: dict[str, Any]) -> tuple[str, str]:
    auth = body.get("auth", {})
    identity = auth.get("identity", {})
    if "password" not in identity.get("methods", []):
        raise AuthError(401, "password method required")
    user = identity["password"]["user"]
    if "id" not in user and not _domain_ok(user.get("domain")):
        raise AuthError(400, "Expecting to find domain in user")
    name = _find_user(user.get("name"), user.get("id"), user.get("password"))
    project = auth.get("scope", {}).get("project")
    if not project:
        raise AuthError(401, "project scope required (unscoped tokens have no catalog)")
    if "id" not in project and not _domain_ok(project.get("domain")):
        raise AuthError(400, "Expecting to find domain in project")
    return name, _find_project(project.get("name"), project.get("id"))


def _v2_credentials(body: dict[str, Any]) -> tuple[str, str]:
    auth = body.get("auth", {})
    creds = auth.get("passwordCredentials", {})
    name = _find_user(creds.get("username"), creds.get("userId"), creds.get("password"))
    return name, _find_project(auth.get("tenantName"), auth.get("tenantId"))


def _expiry() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _v3_token(user: str, project: str, storage_url: str) -> dict[str, Any]:
    dead = "http://127.0.0.1:9/v1/AUTH_" + project
    endpoints = [
        {"id": uuid.uuid4().hex, "interface": iface, "region": region, "region_id": region}
        | {"url": url}
        for region, url in ((REGION, storage_url), (OTHER_REGION, dead))
        for iface in ("public", "internal", "admin")
    ]
    domain = {"id": "default", "name": "Default"}
    return {
        "token": {
            "methods": ["password"],
            "expires_at": _expiry(),
            "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "user": {"id": USERS[user][0], "name": user, "domain": domain},
            "project": {"id": PROJECTS[project], "name": project, "domain": domain},
            "roles": [{"id": "r-member", "name": "member"}],
            "catalog": [
                {"id": "s-swift", "type": "object-store", "name": "swift", "endpoints": endpoints}
            ],
        }
    }


def _v2_access(user: str, project: str, token: str, storage_url: str) -> dict[str, Any]:
    dead = "http://127.0.0.1:9/v1/AUTH_" + project
    endpoints = [
        {"region": region, "publicURL": url, "internalURL": url, "adminURL": url}
        for region, url in ((REGION, storage_url), (OTHER_REGION, dead))
    ]
    tenant = {"id": PROJECTS[project], "name": project, "enabled": True}
    return {
        "access": {
            "token": {"id": token, "expires": _expiry(), "tenant": tenant},
            "serviceCatalog": [{"type": "object-store", "name": "swift", "endpoints": endpoints}],
            "user": {"id": USERS[user][0], "name": user, "roles": [{"name": "member"}]},
            "metadata": {"roles": [], "is_admin": 0},
        }
    }


class Handler(BaseHTTPRequestHandler):
    """Version documents, token issue (v2.0 and v3) and the stats endpoint."""

    server_version = "FakeKeystone/1.0"
    swift_url = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _version(self, version: str) -> dict[str, Any]:
        host = f"http://{self.headers.get('Host', '127.0.0.1')}"
        return {
            "id": "v3.14" if version == "v3" else "v2.0",
            "status": "stable",
            "updated": "2024-01-01T00:00:00Z",
            "links": [{"rel": "self", "href": f"{host}/{version}/"}],
            "media-types": [
                {
                    "base": "application/json",
                    "type": f"application/vnd.openstack.identity-{version}+json",
                }
            ],
        }

    def do_GET(self) -> None:
        """Discovery documents and stats."""
        path = self.path.rstrip("/")
        if path in ("/v3", "/v2.0"):
            self._send(200, {"version": self._version(path[1:])})
        elif path == "":
            versions = [self._version("v3"), self._version("v2.0")]
            self._send(300, {"versions": {"values": versions}})
        elif path == "/_fake/stats":
            with _stats_lock:
                self._send(200, dict(_stats))
        else:
            self._send(404, {"error": {"code": 404, "title": "Not Found", "message": path}})

    def do_POST(self) -> None:
        """Issue a token: ``/v3/auth/tokens`` or ``/v2.0/tokens``."""
        path = self.path.rstrip("/")
        if path not in ("/v3/auth/tokens", "/v2.0/tokens"):
            self._send(404, {"error": {"code": 404, "title": "Not Found", "message": path}})
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            v3 = path.startswith("/v3")
            user, project = (_v3_credentials if v3 else _v2_credentials)(body)
            storage_url, token = _tempauth(self.swift_url, project, user)
        except AuthError as exc:
            title = "Unauthorized" if exc.status == 401 else "Bad Request"
            self._send(
                exc.status, {"error": {"code": exc.status, "title": title, "message": str(exc)}}
            )
            return
        except (KeyError, TypeError, ValueError) as exc:
            self._send(400, {"error": {"code": 400, "title": "Bad Request", "message": repr(exc)}})
            return
        with _stats_lock:
            _stats["tokens"] += 1
        if v3:
            self._send(201, _v3_token(user, project, storage_url), {"X-Subject-Token": token})
        else:
            self._send(200, _v2_access(user, project, token, storage_url))


def serve(port: int, swift_url: str) -> None:
    """Serve on 127.0.0.1:``port`` until killed."""
    Handler.swift_url = swift_url.rstrip("/")
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(swift_url: str, log_path: str, timeout: float = 20) -> Iterator[str]:
    """Run the fake in its own process group; yields its base URL (add ``/v3`` or ``/v2.0``)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), str(port), swift_url],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"fake Keystone exited {proc.returncode}: see {log_path}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/v3", timeout=2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"fake Keystone did not start: see {log_path}")
            time.sleep(0.05)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
