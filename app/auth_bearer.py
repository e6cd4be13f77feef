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
from flask import g
from flask import request
from flask_httpauth import HTTPTokenAuth
from werkzeug.datastructures import Authorization

from app.auth import LOGIN
from app.auth import PUSH
from app.auth import authenticate
from app.auth import required_action
from app.auth import unauthorized
from app.errors import ConfigError
from app.options import Config
from app.services import current_repo

DEFAULT_SEARCH_PATH = "access[?name=='$NAMESPACE' && type=='$ACCESS_ENTRY_TYPE'].actions[]"
ACCESS_ENTRY_TYPE = "artifact-repository"
#: the access type of the distribution spec's token flow (the registry routes)
REGISTRY_ENTRY_TYPE = "repository"
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


def namespace(tenant: str | None = None) -> str:
    """The access namespace of ``tenant`` (default: the request's): the tenant, or
    ``repo`` for the root tenant."""
    return (current_repo() if tenant is None else tenant) or "repo"


def registry_name() -> str:
    """The registry repository the request names (``org1/web``), ``""`` off the registry."""
    return str(g.get("registry_name", ""))


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

    def challenge(self, namespace: str, action: str, name: str = "") -> str:
        """The ``WWW-Authenticate`` value for a denied request; on the registry routes
        the distribution spec's ``repository:<name>:<actions>`` scope (none for ``/v2/``)."""
        header = f'Bearer realm="{self.realm}",service="{self.service}"'
        if action == LOGIN:
            return header
        if name:
            actions = "pull,push" if action == PUSH else action
            return header + f',scope="{REGISTRY_ENTRY_TYPE}:{name}:{actions}"'
        return header + f',scope="{ACCESS_ENTRY_TYPE}:{namespace}:{action}"'

    def check(self, action: str) -> Response | None:
        """The 401 response unless a valid token grants ``action`` on the namespace (any
        valid token for ``login``)."""
        return authenticate(self.http, role=None if action == LOGIN else action)

    def allows(self, action: str, tenant: str, registry_name: str = "") -> bool:
        """Whether the request's token grants ``action`` on ``tenant`` (or on its
        registry repository ``registry_name``)."""
        claims = self.claims(request_token())
        return claims is not None and action in self._granted(claims, tenant, registry_name)

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
        return self._granted(claims, current_repo(), registry_name())

    def _granted(self, claims: dict[str, Any], tenant: str, name: str) -> list[str]:
        """Actions on the tenant's namespace; on the registry routes also those of entries
        of type ``repository`` that name the registry repository (docker token servers)."""
        found = self._search(claims, namespace(tenant), ACCESS_ENTRY_TYPE)
        if name:
            found += self._search(claims, name, REGISTRY_ENTRY_TYPE)
        return found

    def _search(self, claims: dict[str, Any], name: str, entry_type: str) -> list[str]:
        expression = self.search_path.replace("$NAMESPACE", jmespath_literal(name))
        expression = expression.replace("$ACCESS_ENTRY_TYPE", entry_type)
        try:
            found = jmespath.search(expression, claims)
        except jmespath.exceptions.JMESPathError:
            return []
        return [str(item) for item in found] if isinstance(found, list) else []

    def _denied(self, status: int) -> Response:
        response = unauthorized(status)
        action = required_action() or ""
        response.headers["WWW-Authenticate"] = self.challenge(namespace(), action, registry_name())
        return response
