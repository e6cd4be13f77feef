"""Listener options (TLS, mutual TLS), logs, and the body-size limit on a streamed upload."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests

from tests.helpers import make_chart

pytestmark = pytest.mark.e2e


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    d = tmp_path
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        str(d / "ca.key"),
        "-out",
        str(d / "ca.pem"),
    )
    for name, cn in (("server", "127.0.0.1"), ("client", "client")):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={cn}",
            "-keyout",
            str(d / f"{name}.key"),
            "-out",
            str(d / f"{name}.csr"),
        )
        ext = d / f"{name}.ext"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1\n" if name == "server" else "extendedKeyUsage=clientAuth\n"
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            str(d / f"{name}.csr"),
            "-CA",
            str(d / "ca.pem"),
            "-CAkey",
            str(d / "ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(ext),
            "-out",
            str(d / f"{name}.pem"),
        )
    return d


def test_https(run_server, storage, pki) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--tls-cert={pki / 'server.pem'}",
        f"--tls-key={pki / 'server.key'}",
        scheme="https",
    )
    response = requests.get(server.url + "/health", verify=str(pki / "ca.pem"), timeout=10)
    assert response.json() == {"healthy": True}


def test_mutual_tls_requires_client_certificate(run_server, storage, pki) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--tls-cert={pki / 'server.pem'}",
        f"--tls-key={pki / 'server.key'}",
        f"--tls-ca-cert={pki / 'ca.pem'}",
        scheme="https",
    )
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(server.url + "/health", verify=str(pki / "ca.pem"), timeout=10)
    cert = (str(pki / "client.pem"), str(pki / "client.key"))
    ok = requests.get(server.url + "/health", verify=str(pki / "ca.pem"), cert=cert, timeout=10)
    assert ok.status_code == 200


def test_json_logs_without_bodies_or_credentials(run_server, storage) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--log-json",
        "--log-latency-integer",
        "--log-health",
        "--debug",
    )
    chart = make_chart("secretive", "1.0.0", description="s3cr3t-payload")
    server.post("/api/charts", data=chart, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    server.get("/health", headers={"X-Request-Id": "req-42"})
    time.sleep(0.5)
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    served = [entry for entry in lines if entry["M"].endswith("Request served")]
    health = [entry for entry in served if entry["reqID"] == "req-42"]
    assert health and health[0]["path"] == "/health" and isinstance(health[0]["latency"], int)
    assert {"L", "T", "M", "path", "clientIP", "method", "statusCode"} <= set(served[0])
    assert any(entry["L"] == "DEBUG" for entry in lines)
    text = server.log()
    assert "s3cr3t-payload" not in text and "dXNlcjpwYXNz" not in text


def test_console_logs_skip_health_by_default(run_server, storage) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={storage}")
    server.get("/health")
    server.get("/index.yaml")
    time.sleep(0.5)
    served = [line for line in server.log().splitlines() if "Request served" in line]
    assert served and all("/health" not in line for line in served)
    assert "\tINFO\t" in served[0]


def test_oversized_streamed_upload_is_refused_early(run_server, storage) -> None:
    server = run_server(
        "--storage=local", f"--storage-local-rootdir={storage}", "--max-upload-size=1048576"
    )
    sent = 0

    def body():
        nonlocal sent
        for _ in range(1024):
            sent += 65536
            yield b"\0" * 65536

    try:
        response = requests.post(server.url + "/api/charts", data=body(), timeout=30)
        assert response.status_code == 413 and response.text == "request too large"
    except requests.exceptions.ConnectionError:
        pass  # the server may close the connection after answering 413
    assert sent < 64 * 1024 * 1024
    with_length = requests.post(server.url + "/api/charts", data=b"\0" * 2_000_000, timeout=30)
    assert with_length.status_code == 413
    assert list(storage_files(storage)) == []


def storage_files(storage: str) -> list[str]:
    import os

    return [n for n in os.listdir(storage) if not n.startswith(".") and n != "index-cache.yaml"]
