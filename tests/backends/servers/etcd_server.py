"""Launch a throw-away etcd (Debian ``etcd-server``) on free loopback ports.

etcd runs with its default ``--max-request-bytes`` (1.5 MiB): the backend stores content in
1 MiB chunks, so the 10 MiB contract object must work without raising it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.backends.servers import stop_group
from tests.helpers import free_port

INSTALL_HINT = "apt-get install etcd-server (see .ci/deps/etcd.sh)"


def _wait_ready(
    proc: subprocess.Popen[bytes], url: str, log: str, tls: dict[str, str] | None
) -> None:
    timeout = 30
    options: dict[str, object] = {}
    if tls:
        options = {"verify": tls["ca_cert"], "cert": (tls["client_cert"], tls["client_key"])}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, encoding="utf-8", errors="replace") as fh:
                raise RuntimeError(f"etcd exited with {proc.returncode}:\n{fh.read()[-2000:]}")
        try:
            if requests.get(f"{url}/health", timeout=2, **options).json().get("health") == "true":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"etcd did not become healthy on {url} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_group(proc)


def make_tls(folder: str) -> dict[str, str]:
    """A CA plus server and client certificates for 127.0.0.1 (PEM files in ``folder``)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    files: dict[str, str] = {}

    def issue(name: str, signer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(signer[0].subject if signer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=signer is None, path_length=None), True)
        )
        if signer:
            ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            builder = builder.add_extension(x509.SubjectAlternativeName([ip]), False)
            usage = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            builder = builder.add_extension(x509.ExtendedKeyUsage(usage), False)
        cert = builder.sign(signer[1] if signer else key, hashes.SHA256())
        for kind, data in (
            ("cert", cert.public_bytes(serialization.Encoding.PEM)),
            (
                "key",
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            ),
        ):
            files[f"{name}_{kind}"] = os.path.join(folder, f"{name}-{kind}.pem")
            with open(files[f"{name}_{kind}"], "wb") as fh:
                fh.write(data)
        return cert, key

    ca = issue("ca", None)
    issue("server", ca)
    issue("client", ca)
    return files


@contextmanager
def etcd_server(workdir: str, tls: dict[str, str] | None = None) -> Iterator[str]:
    """Run a single-member etcd with its data in ``workdir``; yields the client URL.

    With ``tls`` (from :func:`make_tls`) clients must use https and a client certificate.
    """
    binary = shutil.which("etcd") or "/usr/bin/etcd"
    if not os.path.isfile(binary):
        raise RuntimeError(f"etcd is not installed: {INSTALL_HINT}")
    scheme = "https" if tls else "http"
    client, peer = f"{scheme}://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    cmd = [
        binary,
        *("--name", "test", "--data-dir", os.path.join(workdir, "data")),
        *("--listen-client-urls", client, "--advertise-client-urls", client),
        *("--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer),
        *("--initial-cluster", f"test={peer}", "--log-level", "warn"),
    ]
    if tls:
        cmd += ["--cert-file", tls["server_cert"], "--key-file", tls["server_key"]]
        cmd += ["--trusted-ca-file", tls["ca_cert"], "--client-cert-auth"]
    log = os.path.join(workdir, "etcd.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(proc, client, log, tls)
        yield client
    finally:
        _stop(proc)
