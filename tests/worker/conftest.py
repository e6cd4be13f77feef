"""Fixtures shared by the worker tests."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate and key for 127.0.0.1 (TLS listeners)."""
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
