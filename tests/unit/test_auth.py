"""Basic and bearer (JWT) authorization, every bad-token case, never a 5xx."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import make_chart

REALM, SERVICE = "https://auth.example.com/token", "chartmuseum"


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def basic(make_app):
    return make_app(basic_auth_user="user", basic_auth_pass="pass").test_client()


def test_basic_auth(basic) -> None:
    assert basic.get("/health").status_code == 200
    assert basic.get("/info").status_code == 200
    denied = basic.get("/")
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="ChartMuseum"'
    assert json.loads(denied.data) == {"error": "unauthorized"}
    assert basic.get("/", headers=_basic("user", "wrong")).status_code == 401
    assert basic.get("/", headers=_basic("wrong", "pass")).status_code == 401
    assert basic.get("/", headers={"Authorization": "Bearer xyz"}).status_code == 401
    assert basic.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert basic.get("/", headers=_basic("user", "pass")).status_code == 200
    assert basic.get("/index.yaml", headers=_basic("user", "pass")).status_code == 200
    assert basic.post("/api/charts", data=make_chart()).status_code == 401
    assert (
        basic.post("/api/charts", data=make_chart(), headers=_basic("user", "pass")).status_code
        == 201
    )
    assert basic.get("/nothing").status_code == 404  # unmatched: 404 before auth


def test_basic_scheme_and_methods(basic) -> None:
    creds = _basic("user", "pass")["Authorization"].split(" ", 1)[1]
    assert basic.get("/", headers={"Authorization": f"basic {creds}"}).status_code == 200
    assert basic.get("/", headers={"Authorization": f"Bearer {creds}"}).status_code == 401
    assert basic.get("/", headers={"Authorization": creds}).status_code == 401
    denied = basic.options("/index.yaml")  # flask-httpauth's login_required would let it by
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="ChartMuseum"'
    assert basic.head("/index.yaml").status_code == 401


def test_anonymous_get(make_app) -> None:
    client = make_app(
        basic_auth_user="u", basic_auth_pass="p", auth_anonymous_get=True
    ).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/index.yaml").status_code == 200
    assert client.head("/api/charts/x").status_code == 404
    assert client.post("/api/charts", data=make_chart()).status_code == 401
    assert client.delete("/api/charts/x/1.0.0").status_code == 401


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def bearer(make_app, rsa_key, tmp_path):
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cert_path = tmp_path / "issuer.pem"
    cert_path.write_bytes(pem)
    return make_app(
        depth=2,
        bearer_auth=True,
        auth_realm=REALM,
        auth_service=SERVICE,
        auth_cert_path=str(cert_path),
    ).test_client()


def token(key, access=None, alg: str = "RS256", **claims) -> str:
    now = int(time.time())
    payload = {"iat": now - 10, "exp": now + 300, **claims}
    if access is not None:
        payload["access"] = access
    return jwt.encode(payload, key, algorithm=alg)


def grant(repo: str, *actions: str) -> list[dict[str, object]]:
    return [{"type": "artifact-repository", "name": repo, "actions": list(actions)}]


def _auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def test_bearer_pull_and_push_scopes(bearer, rsa_key) -> None:
    pull_only = _auth(token(rsa_key, grant("org1/repo1", "pull")))
    assert bearer.get("/org1/repo1/index.yaml", headers=pull_only).status_code == 200
    denied = bearer.post("/api/org1/repo1/charts", data=make_chart(), headers=pull_only)
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == (
        f'Bearer realm="{REALM}",service="{SERVICE}",scope="artifact-repository:org1/repo1:push"'
    )
    other = bearer.get("/org1/repo2/index.yaml", headers=pull_only)
    assert other.status_code == 401
    assert "artifact-repository:org1/repo2:pull" in other.headers["WWW-Authenticate"]
    push = _auth(token(rsa_key, grant("org1/repo1", "pull", "push")))
    assert bearer.post("/api/org1/repo1/charts", data=make_chart(), headers=push).status_code == 201
    assert bearer.delete("/api/org1/repo1/charts/mychart/0.1.0", headers=push).status_code == 200
    lowercase = {"Authorization": "bearer " + token(rsa_key, grant("org1/repo1", "pull"))}
    assert bearer.get("/org1/repo1/index.yaml", headers=lowercase).status_code == 200
    bare = {"Authorization": token(rsa_key, grant("org1/repo1", "pull"))}  # no scheme
    assert bearer.get("/org1/repo1/index.yaml", headers=bare).status_code == 200
    denied = bearer.options("/org1/repo1/index.yaml")
    assert denied.status_code == 401
    assert json.loads(denied.data) == {"error": "unauthorized"}
    assert denied.headers["WWW-Authenticate"] == (
        f'Bearer realm="{REALM}",service="{SERVICE}",scope="artifact-repository:org1/repo1:pull"'
    )


def test_root_namespace_is_repo(make_app, rsa_key, tmp_path) -> None:
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "k.pem").write_bytes(pem)
    client = make_app(
        bearer_auth=True,
        auth_realm=REALM,
        auth_service=SERVICE,
        auth_cert_path=str(tmp_path / "k.pem"),
    ).test_client()
    assert (
        client.get("/index.yaml", headers=_auth(token(rsa_key, grant("repo", "pull")))).status_code
        == 200
    )
    denied = client.get("/index.yaml")
    assert "artifact-repository:repo:pull" in denied.headers["WWW-Authenticate"]


def _bad_tokens(rsa_key) -> dict[str, str]:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    access = grant("org1/repo1", "pull")
    unsigned = jwt.encode({"access": access}, None, algorithm="none")
    hmac_forged = jwt.encode(
        {"access": access}, "a-shared-secret-that-is-long-enough!", algorithm="HS256"
    )
    return {
        "expired": token(rsa_key, access, exp=now - 5),
        "not-yet-valid": token(rsa_key, access, nbf=now + 300),
        "issued-in-future": token(rsa_key, access, iat=now + 300),
        "wrong-key": token(other, access),
        "alg-none": unsigned,
        "hmac": hmac_forged,
        "ecdsa": jwt.encode({"access": access}, ec_key, algorithm="ES256"),
        "no-access-claim": token(rsa_key),
        "access-not-a-list": token(rsa_key, {"name": "org1/repo1"}),
        "access-null": jwt.encode({"access": None, "exp": now + 60}, rsa_key, algorithm="RS256"),
        "garbage": "not.a.token",
        "empty": "",
        "truncated": token(rsa_key, access)[:-10],
    }


def test_every_bad_token_is_401(bearer, rsa_key) -> None:
    for name, tok in _bad_tokens(rsa_key).items():
        response = bearer.get("/org1/repo1/index.yaml", headers=_auth(tok))
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert bearer.get("/org1/repo1/index.yaml").status_code == 401


def test_namespace_cannot_inject_into_the_search_path(bearer, rsa_key) -> None:
    # a tenant name crafted to close the quoted literal and widen the filter
    tok = _auth(token(rsa_key, grant("x", "pull", "push")))
    crafted = "x' || name=='x"
    response = bearer.get(f"/{crafted}/y/index.yaml", headers=tok)
    assert response.status_code in (400, 401)


def test_custom_search_path(make_app, rsa_key, tmp_path) -> None:
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "k.pem").write_bytes(pem)
    client = make_app(
        depth=1,
        bearer_auth=True,
        auth_realm=REALM,
        auth_service=SERVICE,
        auth_cert_path=str(tmp_path / "k.pem"),
        auth_actions_search_path='permissions."$NAMESPACE"',
    ).test_client()
    tok = token(rsa_key, permissions={"team": ["pull"]})
    assert client.get("/team/index.yaml", headers=_auth(tok)).status_code == 200
    assert client.get("/other/index.yaml", headers=_auth(tok)).status_code == 401


def test_certificate_as_issuer_key(make_app, rsa_key, tmp_path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    client = make_app(
        bearer_auth=True,
        auth_realm=REALM,
        auth_service=SERVICE,
        auth_cert_path=str(tmp_path / "c.pem"),
    ).test_client()
    assert (
        client.get("/index.yaml", headers=_auth(token(rsa_key, grant("repo", "pull")))).status_code
        == 200
    )
