"""Bearer JWT authorization compatible with ChartMuseum's token format.

The token is verified with the issuer's RSA public key (PEM key or X.509 certificate);
its claims are searched with a JMESPath expression for the actions granted on the
request's namespace (the tenant, or ``repo`` for the root tenant).

flask-httpauth's ``HTTPTokenAuth`` runs the check: ``verify_token`` verifies the JWT,
``get_user_roles`` turns the granted actions into roles (the route's action is the role
required) and ``error_handler`` answers 401 with the scope challenge.
"""

from __future__ import annotations

import re
from typing import Any

import jmespath
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Response
from flask import request
from flask_httpauth import HTTPTokenAuth
from werkzeug.datastructures import Authorization

from app.auth import authenticate
from app.auth import required_action
from app.auth import unauthorized
from app.errors import ConfigError
from app.options import Config
from app.services import current_repo

DEFAULT_SEARCH_PATH = "access[?name=='$NAMESPACE' && type=='$ACCESS_ENTRY_TYPE'].actions[]"
ACCESS_ENTRY_TYPE = "artifact-repository"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
_BEARER = re.compile(r"(?i)bearer (.*)")


def load_public_key(path: str) -> RSAPublicKey:
    """The RSA key from a PEM public key or certificate. :raises ConfigError:"""
    try:
        with open(path, "rb") as fh:
            pem = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read --auth-cert-path {path}: {exc.strerror}") from exc
    try:
        key: Any = (
            x509.load_pem_x509_certificate(pem).public_key()
            if b"CERTIFICATE" in pem
            else load_pem_public_key(pem)
        )
    except ValueError as exc:
        raise ConfigError(f"--auth-cert-path {path}: not a PEM key or certificate") from exc
    if not isinstance(key, RSAPublicKey):
        raise ConfigError(f"--auth-cert-path {path}: the key is not an RSA public key")
    return key


def jmespath_literal(text: str) -> str:
    """``text`` as the body of a JMESPath raw string literal (quotes escaped)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def request_token() -> str:
    """The token: the ``Authorization`` header without a ``bearer `` prefix (any case).

    As in ChartMuseum, a header without that prefix is tried whole as a token.
    """
    header = request.headers.get("Authorization", "")
    match = _BEARER.match(header)
    return match.group(1) if match else header


def namespace() -> str:
    """The request's access namespace: its tenant, or ``repo`` for the root tenant."""
    return current_repo() or "repo"


class ChartMuseumTokenAuth(HTTPTokenAuth):  # type: ignore[misc]
    """``HTTPTokenAuth`` reading the token as ChartMuseum does (see :func:`request_token`)."""

    def get_auth(self) -> Authorization | None:
        token = request_token()
        return Authorization("bearer", token=token) if token else None


class BearerAuthorizer:
    """Verifies the token and the action granted for the request's namespace."""

    def __init__(self, key: RSAPublicKey, realm: str, service: str, search_path: str) -> None:
        self.key = key
        self.realm = realm
        self.service = service
        self.search_path = search_path or DEFAULT_SEARCH_PATH
        self.http = ChartMuseumTokenAuth(scheme="Bearer", realm=realm)
        self.http.verify_token(self.claims)
        self.http.get_user_roles(self.granted)
        self.http.error_handler(self._denied)

    @classmethod
    def from_config(cls, config: Config) -> BearerAuthorizer:
        """Build from ``--auth-*`` options (validated at startup)."""
        key = load_public_key(config.auth_cert_path)
        return cls(key, config.auth_realm, config.auth_service, config.auth_actions_search_path)

    def challenge(self, namespace: str, action: str) -> str:
        """The ``WWW-Authenticate`` value for a denied request."""
        scope = f"{ACCESS_ENTRY_TYPE}:{namespace}:{action}"
        return f'Bearer realm="{self.realm}",service="{self.service}",scope="{scope}"'

    def check(self, action: str) -> Response | None:
        """The 401 response unless a valid token grants ``action`` on the namespace."""
        return authenticate(self.http, role=action)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The verified claims of ``token`` (None when invalid, expired or not yet valid)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.key, algorithms=ALGORITHMS, options={"verify_aud": False}
            )
        except jwt.PyJWTError:
            return None
        return claims

    def granted(self, claims: dict[str, Any]) -> list[str]:
        """The actions the claims grant on the request's namespace (the user's roles)."""
        expression = self.search_path.replace("$NAMESPACE", jmespath_literal(namespace()))
        expression = expression.replace("$ACCESS_ENTRY_TYPE", ACCESS_ENTRY_TYPE)
        try:
            found = jmespath.search(expression, claims)
        except jmespath.exceptions.JMESPathError:
            return []
        return [str(item) for item in found] if isinstance(found, list) else []

    def _denied(self, status: int) -> Response:
        response = unauthorized(status)
        response.headers["WWW-Authenticate"] = self.challenge(namespace(), required_action() or "")
        return response
