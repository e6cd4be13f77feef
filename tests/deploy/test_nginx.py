"""Real nginx (Debian nginx-light) with the shipped configs in front of the server, started as
the container image starts it (gunicorn --config gunicorn.conf.py wsgi:application).

The shipped files are used as they are, except for the lines their header documents as the
ones to adapt (upstream address, listen ports, certificate paths, and client_max_body_size
where a test raises the upload limit): see ``shipped_nginx_conf``.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
import requests
import yaml

from app.options import Config
from tests.deploy.support import NGINX_DIR
from tests.deploy.support import ImageServer
from tests.deploy.support import MiB
from tests.deploy.support import Nginx
from tests.deploy.support import behind
from tests.deploy.support import big_chart
from tests.deploy.support import nginx_check
from tests.deploy.support import shipped_nginx_conf
from tests.deploy.support import start_like_image
from tests.deploy.support import start_nginx
from tests.e2e.flow import helm_flow
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def _size_in_bytes(nginx_size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", nginx_size).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": MiB, "g": 1024 * MiB}[unit.lower()]


def _shipped_body_size(name: str) -> str:
    with open(os.path.join(NGINX_DIR, name), encoding="utf-8") as fh:
        (size,) = re.findall(r"^\s*client_max_body_size (\S+);", fh.read(), flags=re.MULTILINE)
    return size


def _eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """nginx logs a refused request once it has finished discarding the body."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


Stack = Callable[..., tuple[ImageServer, Nginx]]


@pytest.fixture
def stack(tmp_path) -> Iterator[Stack]:
    """Start the server like the image, then nginx with a shipped config in front of it."""
    running: list[ImageServer | Nginx] = []

    def _start(
        env: dict[str, str] | None = None,
        conf: str = "chartmuseum.conf",
        body_size: str | None = None,
        tls: tuple[str, str] | None = None,
        redirect_port: int | None = None,
    ) -> tuple[ImageServer, Nginx]:
        storage = tmp_path / f"storage-{len(running)}"
        storage.mkdir()
        server = start_like_image(
            str(tmp_path),
            {"STORAGE_LOCAL_ROOTDIR": str(storage), **(env or {})},
            log_name=f"gunicorn-{len(running)}",
        )
        running.append(server)
        port = free_port()
        site = shipped_nginx_conf(
            conf, int(server.url.rsplit(":", 1)[1]), port, body_size, tls, redirect_port
        )
        prefix = str(tmp_path / f"nginx-{len(running)}")
        nginx = start_nginx(prefix, site, port, "https" if tls else "http")
        running.append(nginx)
        return server, nginx

    yield _start
    for item in reversed(running):
        item.stop()


def test_shipped_configs_are_valid_and_match_the_default_upload_limit(tmp_path, certificate):
    default = Config().max_upload_size
    for name in ("chartmuseum.conf", "chartmuseum-tls.conf"):
        assert _size_in_bytes(_shipped_body_size(name)) == default, name
        tls = certificate if "tls" in name else None
        site = shipped_nginx_conf(name, 8080, free_port(), tls=tls)
        result = nginx_check(str(tmp_path / name), site)
        assert result.returncode == 0, result.stderr
        for directive in (
            "proxy_request_buffering on;",
            "proxy_http_version 1.1;",
            "proxy_read_timeout",
            "proxy_send_timeout",
            "client_body_timeout",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header X-Forwarded-Host $host;",
            "proxy_set_header Host $http_host;",
        ):
            assert directive in site, (name, directive)


def test_helm_flow_and_15_mib_upload_through_nginx(stack, helm, keyring, tmp_path) -> None:
    server, nginx = stack()
    helm_flow(behind(server, nginx.url), helm, keyring, str(tmp_path / "flow"))

    # the server logs the client nginx saw and nginx's request id
    traced = requests.get(
        nginx.url + "/api/charts", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30
    )
    request_id = traced.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    _eventually(lambda: request_id in server.log())
    (line,) = [ln for ln in server.log().splitlines() if request_id in ln]
    assert '"clientIP": "203.0.113.7"' in line

    big = big_chart("bigchart", "1.0.0", 15 * MiB)
    assert 15 * MiB < len(big) < Config().max_upload_size
    posted = requests.post(nginx.url + "/api/charts", data=big, timeout=120)
    assert posted.status_code == 201, posted.text
    (entry,) = helm.repo_index(nginx.url)["entries"]["bigchart"]
    assert entry["digest"] == hashlib.sha256(big).hexdigest()
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull("bigchart", repo_url=nginx.url, version="1.0.0", destination=str(dest))
    assert (dest / "bigchart-1.0.0.tgz").read_bytes() == big

    # over the limit: nginx answers 413 itself, the server never sees the body
    too_big = big_chart("toobig", "1.0.0", 21 * MiB)
    refused = requests.post(nginx.url + "/api/charts", data=too_big, timeout=120)
    assert refused.status_code == 413
    _eventually(lambda: '"POST /api/charts HTTP/1.1" 413' in nginx.access_log())
    assert "toobig" not in requests.get(nginx.url + "/index.yaml", timeout=30).text
    # nginx receives the whole 15 MiB body (past 1 MiB in a temporary file) before passing
    # it on, so a slow uploader never reaches the server
    assert "client request body is buffered" in nginx.error_log()


def test_context_path_and_raised_upload_limit_through_nginx(stack, helm, keyring, tmp_path) -> None:
    limit = 32 * MiB
    server, nginx = stack(
        {"CONTEXT_PATH": "/charts", "MAX_UPLOAD_SIZE": str(limit)}, body_size="32m"
    )
    repo = nginx.url + "/charts"
    assert requests.get(repo + "/health", timeout=10).json() == {"healthy": True}
    assert requests.get(nginx.url + "/health", timeout=10).status_code == 404
    helm_flow(behind(server, repo), helm, keyring, str(tmp_path / "flow"))
    index = yaml.safe_load(requests.get(repo + "/index.yaml", timeout=30).text)
    assert index["serverInfo"] == {"contextPath": "/charts"}

    # above the default 20 MiB: both limits were raised together; multipart, as cm-push does
    big = big_chart("bigger", "2.0.0", 24 * MiB)
    assert Config().max_upload_size < len(big) < limit
    files = {"chart": ("bigger-2.0.0.tgz", big)}
    posted = requests.post(repo + "/api/charts", files=files, timeout=120)
    assert posted.status_code == 201, posted.text
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull("bigger", repo_url=repo, version="2.0.0", destination=str(dest))
    assert (dest / "bigger-2.0.0.tgz").read_bytes() == big


class _Echo(BaseHTTPRequestHandler):
    """Answers with the request it received, as JSON."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        data = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": len(body),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_forwarded_headers_reach_the_upstream(echo, certificate, tmp_path) -> None:
    port, tls_port, redirect_port = free_port(), free_port(), free_port()
    plain = start_nginx(
        str(tmp_path / "plain"), shipped_nginx_conf("chartmuseum.conf", echo, port), port
    )
    site = shipped_nginx_conf(
        "chartmuseum-tls.conf", echo, tls_port, tls=certificate, redirect_port=redirect_port
    )
    secure = start_nginx(str(tmp_path / "tls"), site, tls_port, "https")
    try:
        seen = requests.get(
            plain.url + "/api/charts?x=1", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10
        ).json()
        headers = {k.lower(): v for k, v in seen["headers"].items()}
        assert seen["path"] == "/api/charts?x=1"
        assert headers["host"] == f"127.0.0.1:{port}"
        assert headers["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
        assert headers["x-real-ip"] == "127.0.0.1"
        assert headers["x-forwarded-proto"] == "http"
        assert headers["x-forwarded-host"] == "127.0.0.1"
        assert headers["x-forwarded-port"] == str(port)
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])

        seen = requests.post(
            secure.url + "/api/charts", data=b"x" * 1000, verify=certificate[0], timeout=10
        ).json()
        headers = {k.lower(): v for k, v in seen["headers"].items()}
        assert seen["method"] == "POST" and seen["body"] == 1000
        assert headers["x-forwarded-proto"] == "https"
        assert headers["host"] == f"127.0.0.1:{tls_port}"

        # plain HTTP on the TLS config's port 80 server: 308, so uploads stay POSTs
        moved = requests.post(
            f"http://127.0.0.1:{redirect_port}/api/charts?force",
            data=b"x",
            allow_redirects=False,
            timeout=10,
        )
        assert moved.status_code == 308
        assert moved.headers["Location"] == f"https://127.0.0.1:{tls_port}/api/charts?force"
    finally:
        plain.stop()
        secure.stop()


def test_helm_through_the_tls_proxy(stack, helm, certificate, tmp_path) -> None:
    redirect_port = free_port()
    _, nginx = stack(conf="chartmuseum-tls.conf", tls=certificate, redirect_port=redirect_port)
    src = tmp_path / "src"
    src.mkdir()
    helm.Chart.create("securechart", str(src))
    package = helm.package(str(src / "securechart"), destination=str(tmp_path))
    with open(package, "rb") as fh:
        body = fh.read()
    # sent to http://, redirected with 308 to https://, still a POST with its body
    posted = requests.post(
        f"http://127.0.0.1:{redirect_port}/api/charts", data=body, verify=certificate[0], timeout=30
    )
    assert posted.status_code == 201, posted.text
    assert posted.url.startswith(nginx.url)
    index = helm.repo_index(nginx.url, insecure_skip_tls_verify=True)
    assert [e["version"] for e in index["entries"]["securechart"]] == ["0.1.0"]
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull(
        "securechart",
        repo_url=nginx.url,
        version="0.1.0",
        destination=str(dest),
        insecure_skip_tls_verify=True,
    )
    assert (dest / "securechart-0.1.0.tgz").read_bytes() == body


def test_slow_uploaders_through_nginx_never_reach_the_server(stack) -> None:
    """Twice as many trickling or stalled uploads as the server has request threads: nginx
    holds their bodies, readers through nginx are answered at once, nothing is stored."""
    from tests.worker.test_slow_clients import assert_responsive
    from tests.worker.test_slow_clients import request_threads
    from tests.worker.test_slow_clients import uploaders

    _server, nginx = stack({"READ_TIMEOUT": "5"})
    with uploaders(nginx, 2 * request_threads([])):
        time.sleep(0.5)
        assert_responsive(nginx)
        time.sleep(6)  # past the server's read timeout: nginx has not passed them on
        assert_responsive(nginx)
    assert "entries: {}" in requests.get(nginx.url + "/index.yaml", timeout=10).text
    assert " 408 " not in nginx.access_log()
