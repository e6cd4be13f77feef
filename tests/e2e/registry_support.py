"""Support for the OCI registry end-to-end tests: Helm-made charts, a docker token server
issuing RS256 JWTs, and raw registry requests for cross-checks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import jwt
import requests
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import Server

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json"
CHART_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
PROV_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"


def sha256(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def host_of(server: Server) -> str:
    """``127.0.0.1:PORT`` of a server (registry references have no scheme)."""
    return server.url.split("//", 1)[1]


def helm_package(
    helm: Any, workdir: str, name: str, version: str, values: dict[str, Any] | None = None
) -> str:
    """Helm's scaffold chart ``name`` packaged at ``version`` into ``workdir``; ``values``
    are merged into its values.yaml. Returns the .tgz path."""
    unique = f"{name}-{version}-{uuid.uuid4().hex[:6]}"
    src = os.path.join(workdir, f"src-{unique}")
    os.makedirs(src)
    helm.Chart.create(name, src)
    if values:
        values_path = os.path.join(src, name, "values.yaml")
        with open(values_path, encoding="utf-8") as fh:
            merged = {**yaml.safe_load(fh), **values}
        with open(values_path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(merged, fh)
    out = os.path.join(workdir, f"pkg-{unique}")
    os.makedirs(out)
    return str(helm.package(os.path.join(src, name), destination=out, version=version))


# -- bearer tokens --------------------------------------------------------------------------------
@dataclass
class IssuerKey:
    """The token issuer's RSA key and the PEM file of its public key (for --auth-cert-path)."""

    key: rsa.RSAPrivateKey
    pem_path: str

    @classmethod
    def create(cls, folder: str) -> IssuerKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        path = os.path.join(folder, "issuer.pem")
        with open(path, "wb") as fh:
            fh.write(pem)
        return cls(key, path)

    def mint(self, access: list[dict[str, Any]], service: str = "", subject: str = "") -> str:
        """An RS256 JWT granting ``access`` (docker token format)."""
        now = int(time.time())
        claims = {
            "iss": "test-token-server",
            "sub": subject,
            "aud": service,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(claims, self.key, algorithm="RS256")


def repository_access(name: str, *actions: str) -> dict[str, Any]:
    """An access entry of the docker token protocol."""
    return {"type": "repository", "name": name, "actions": list(actions)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class TokenRequest:
    """What a client asked the token server for (``GET``: docker token flow with basic
    credentials; ``POST``: OAuth2 password grant, which Helm v4 tries first)."""

    method: str
    user: str | None
    service: str
    scopes: list[str]


@dataclass
class TokenServer:
    """A docker token server at ``/token``: ``GET ?service=..&scope=repository:<name>:<actions>``
    with basic credentials, or ``POST`` of an OAuth2 password grant (form fields ``username``,
    ``password``, ``service``, ``scope``).

    The right credentials get the actions they ask for on every repository not in
    :attr:`denied`; anonymous requests get a token granting nothing (as Docker Hub's
    anonymous tokens do); wrong credentials get 401.
    """

    issuer: IssuerKey
    service: str
    user: str
    password: str
    denied: set[str] = field(default_factory=set)
    requests: list[TokenRequest] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/token"

    def start(self) -> TokenServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner._answer(self)

            def do_POST(self) -> None:
                owner._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _check(self, user: str | None, password: str | None) -> bool:
        return user is None or (user == self.user and password == self.password)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        user: str | None = None
        password: str | None = None
        if handler.command == "POST":
            length = int(handler.headers.get("Content-Length", "0"))
            form = parse_qs(handler.rfile.read(length).decode())
            if form.get("grant_type") != ["password"]:
                self._send(handler, 400, {"error": "unsupported_grant_type"})
                return
            user, password = form.get("username", [None])[0], form.get("password", [None])[0]
            service = form.get("service", [""])[0]
            scopes = form.get("scope", [])
        else:
            query = parse_qs(url.query)
            header = handler.headers.get("Authorization", "")
            if header.lower().startswith("basic "):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            service = query.get("service", [""])[0]
            scopes = query.get("scope", [])
        self.requests.append(TokenRequest(handler.command, user, service, scopes))
        if url.path != "/token" or service != self.service or not self._check(user, password):
            self._send(handler, 401, {"errors": [{"code": "UNAUTHORIZED"}]})
            return
        token = self.issuer.mint(self.grants(user, scopes), service=service, subject=user or "")
        answer = {
            "access_token": token,
            "expires_in": 300,
            "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if handler.command == "GET":
            answer["token"] = token
        self._send(handler, 200, answer)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        body = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def grants(self, user: str | None, scopes: list[str]) -> list[dict[str, Any]]:
        """The access entries issued for ``scopes`` (space separated in one value, too)."""
        if user is None:
            return []
        access = []
        for scope in " ".join(scopes).split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and name and name not in self.denied:
                access.append(repository_access(name, *actions.split(",")))
        return access

    def scopes_for(self, name: str) -> list[str]:
        """Every scope requested so far that names repository ``name``."""
        return [
            s
            for r in self.requests
            for s in " ".join(r.scopes).split()
            if s.startswith(f"repository:{name}:")
        ]


# -- raw registry requests ------------------------------------------------------------------------
def get_manifest(server: Server, name: str, reference: str, **kw: Any) -> requests.Response:
    headers = {"Accept": MANIFEST_TYPE, **kw.pop("headers", {})}
    return server.get(f"/v2/{name}/manifests/{reference}", headers=headers, **kw)


def get_blob(server: Server, name: str, digest: str, **kw: Any) -> bytes:
    answer = server.get(f"/v2/{name}/blobs/{digest}", **kw)
    assert answer.status_code == 200, (answer.status_code, answer.text)
    assert sha256(answer.content) == digest
    return answer.content


def layer(manifest: dict[str, Any], media_type: str) -> dict[str, Any] | None:
    found = [d for d in manifest["layers"] if d["mediaType"] == media_type]
    assert len(found) <= 1, manifest
    return found[0] if found else None


# -- flows ----------------------------------------------------------------------------------------
def stored_manifest(server: Server, name: str, tag: str, **kw: Any) -> tuple[bytes, dict[str, Any]]:
    """The manifest ``name:tag`` (raw bytes and parsed), checked for Helm's shape."""
    answer = get_manifest(server, name, tag, **kw)
    assert answer.status_code == 200, (answer.status_code, answer.text)
    assert answer.headers["Docker-Content-Digest"] == sha256(answer.content)
    manifest = json.loads(answer.content)
    assert manifest["schemaVersion"] == 2
    assert manifest["config"]["mediaType"] == CONFIG_TYPE
    return answer.content, manifest


def registry_flow(
    server: Server, helm: Any, keyring: dict[str, str], workdir: str, tenant: str
) -> None:
    """Helm's registry client on one tenant: push (plain and signed), tags, resolve, pull
    by version and latest, provenance layer, classic pull of an OCI push, OCI pull of an API
    upload, an identical re-push accepted and a different one refused."""
    host = host_of(server)
    ns = f"{host}/{tenant}" if tenant else host
    name = f"{tenant}/flow" if tenant else "flow"
    base = server.url + (f"/{tenant}" if tenant else "")
    api = "/api" + (f"/{tenant}" if tenant else "") + "/charts"
    v1 = helm_package(helm, workdir, "flow", "0.1.0")
    v2 = helm_package(helm, workdir, "flow", "0.2.0")
    prov = helm.sign(v2, key="Helm Test", keyring=keyring["secring"])
    helm.push(v1, f"oci://{ns}", plain_http=True)
    helm.push(v2, f"oci://{ns}", plain_http=True)
    with helm.RegistryClient(
        plain_http=True, credentials_file=os.path.join(workdir, "none.json")
    ) as client:
        assert client.tags(f"{ns}/flow") == ["0.2.0", "0.1.0"]
        resolved = client.resolve(f"{ns}/flow:0.2.0")
    raw, manifest = stored_manifest(server, name, "0.2.0")
    assert resolved == {"digest": sha256(raw), "media_type": MANIFEST_TYPE, "size": len(raw)}
    chart_layer, prov_layer = layer(manifest, CHART_TYPE), layer(manifest, PROV_TYPE)
    assert chart_layer is not None and chart_layer["digest"] == sha256(read(v2))
    assert prov_layer is not None
    assert get_blob(server, name, prov_layer["digest"]) == read(prov)
    config = json.loads(get_blob(server, name, manifest["config"]["digest"]))
    assert (config["name"], config["version"]) == ("flow", "0.2.0")
    # pull by version, and the highest version without one
    dest = os.path.join(workdir, "oci-pulled")
    os.makedirs(dest)
    helm.pull(f"oci://{ns}/flow", version="0.1.0", destination=dest, plain_http=True)
    helm.pull(f"oci://{ns}/flow", destination=dest, plain_http=True)
    assert sorted(os.listdir(dest)) == ["flow-0.1.0.tgz", "flow-0.2.0.tgz"]
    assert read(os.path.join(dest, "flow-0.1.0.tgz")) == read(v1)
    assert read(os.path.join(dest, "flow-0.2.0.tgz")) == read(v2)
    # the classic repository serves what was pushed, provenance included
    classic = os.path.join(workdir, "classic-pulled")
    os.makedirs(classic)
    helm.pull("flow", repo_url=base, version="0.2.0", destination=classic)
    pulled = os.path.join(classic, "flow-0.2.0.tgz")
    assert read(pulled) == read(v2)
    classic_prov = server.get(base[len(server.url) :] + "/charts/flow-0.2.0.tgz.prov")
    assert classic_prov.status_code == 200 and classic_prov.content == read(prov)
    with open(pulled + ".prov", "wb") as fh:
        fh.write(classic_prov.content)
    assert helm.verify(pulled, keyring["pubring"])["signed_by"] == ["Helm Test <helm@test.local>"]
    # an API upload is pulled over OCI byte for byte
    v3 = helm_package(helm, workdir, "flow", "0.3.0")
    assert server.post(api, data=read(v3)).status_code == 201
    helm.pull(f"oci://{ns}/flow", version="0.3.0", destination=dest, plain_http=True)
    assert read(os.path.join(dest, "flow-0.3.0.tgz")) == read(v3)
    # the same push again is accepted; other bytes for an existing version are refused
    helm.push(v1, f"oci://{ns}", plain_http=True)
    other = helm_package(helm, workdir, "flow", "0.1.0", values={"replicaCount": 7})
    assert read(other) != read(v1)
    try:
        helm.push(other, f"oci://{ns}", plain_http=True)
    except helm.HelmError as exc:
        assert "DENIED" in str(exc) or "409" in str(exc), exc
    else:
        raise AssertionError("overwriting 0.1.0 over OCI was accepted")
    again = os.path.join(workdir, "oci-pulled-again")
    os.makedirs(again)
    helm.pull(f"oci://{ns}/flow", version="0.1.0", destination=again, plain_http=True)
    assert read(os.path.join(again, "flow-0.1.0.tgz")) == read(v1)
