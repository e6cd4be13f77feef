"""Assemble the OpenAPI 3.1 document for one configuration.

Depth, context path, auth and the disabled route families all change the document; it is
built once per application, from the same :class:`Config` the routes are mounted from.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from app import __version__
from app.auth import PULL
from app.openapi.components import HEADERS
from app.openapi.components import MALFORMED
from app.openapi.components import SCHEMAS
from app.openapi.components import Schema
from app.openapi.components import error
from app.openapi.components import ref
from app.openapi.components import worker_errors
from app.openapi.routes import Route
from app.openapi.routes import all_routes
from app.options import Config

# a tenant segment the server accepts: no ".", "..", hidden, backslash or NUL segments
TENANT_PATTERN = r"^[^/.\\\x00][^/\\\x00]*$"
SEGMENT_PATTERN = r"^[^/]+$"
_PARAM = re.compile(r"{(\w+)}")
INVALID_NAME = "Invalid repository path or file name (`invalid repository path: <repo>`...)."

DYNAMIC_NOTE = (
    "The server runs with --depth-dynamic: every repository path is also served after any "
    "number of tenant segments (`/org1/org2/index.yaml`, `/api/org1/org2/charts`, ...). "
    "OpenAPI cannot express a variable number of path segments, so the paths below are the "
    "depth-0 form (the root repository)."
)


def auth_scheme(config: Config) -> str | None:
    """Name of the active security scheme (bearer wins over basic, as in the server)."""
    if config.bearer_auth:
        return "bearerAuth"
    if config.basic_auth_user and config.basic_auth_pass:
        return "basicAuth"
    return None


def tenant_names(config: Config) -> list[str]:
    """Names of the tenant path parameters: ``repo`` at depth 1, ``repo1``... beyond."""
    if config.depth_dynamic or config.depth <= 0:
        return []
    if config.depth == 1:
        return ["repo"]
    return [f"repo{i}" for i in range(1, config.depth + 1)]


def route_path(route: Route, config: Config) -> str:
    """The OpenAPI path of ``route``, tenant parameters included."""
    tenant = "".join(f"/{{{name}}}" for name in tenant_names(config))
    ctx = config.context_path
    if route.mount == "root":
        return route.path
    if route.mount == "context":  # the bare "" route exists only under a context path
        return ctx + route.path
    if route.mount == "repo":
        return ctx + tenant + route.path
    return f"{ctx}/api{tenant}{route.path}"


def _path_parameters(path: str, config: Config) -> list[Schema]:
    tenants = set(tenant_names(config))
    params = []
    for name in _PARAM.findall(path):
        pattern = TENANT_PATTERN if name in tenants else SEGMENT_PATTERN
        schema = {"type": "string", "minLength": 1, "pattern": pattern}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _secure(op: dict[str, Any], route: Route, config: Config) -> None:
    scheme = auth_scheme(config)
    if route.action is None or scheme is None:
        op["security"] = []
        return
    if route.action == PULL and config.auth_anonymous_get:
        op["security"] = []
        return
    roles = [route.action] if scheme == "bearerAuth" else []
    op["security"] = [{scheme: roles}]
    op["responses"]["401"] = error("`unauthorized`; see the WWW-Authenticate header.")
    challenge = {"required": True, "schema": {"type": "string", "minLength": 1}}
    op["responses"]["401"]["headers"] = {"WWW-Authenticate": challenge}


def _add_errors(op: dict[str, Any], route: Route, has_params: bool) -> None:
    responses = op["responses"]
    if has_params:
        _add_400(responses, INVALID_NAME)
    _add_400(responses, MALFORMED)
    for status, response in worker_errors().items():
        responses.setdefault(status, response)
    if route.storage:
        responses["500"] = error("Storage or index failure (the error text).")


def _add_400(responses: dict[str, Any], description: str) -> None:
    if "400" in responses:
        responses["400"]["description"] += " " + description
    else:
        responses["400"] = error(description)


def _finish_responses(op: dict[str, Any]) -> dict[str, Any]:
    """Every response carries X-Request-Id; statuses in ascending order."""
    for response in op["responses"].values():
        response.setdefault("headers", {})["X-Request-Id"] = ref("headers", "XRequestId")
    op["responses"] = dict(sorted(op["responses"].items()))
    return op


def operation(route: Route, config: Config) -> dict[str, Any]:
    """The complete OpenAPI operation object of ``route``."""
    op = copy.deepcopy(route.operation())
    params = _path_parameters(route_path(route, config), config)
    op["parameters"] = params + op["parameters"]
    op["tags"] = [route.mount if route.mount in ("repo", "api") else "server"]
    _add_errors(op, route, bool(params))
    _secure(op, route, config)
    return _finish_responses(op)


def head_of(get: dict[str, Any]) -> dict[str, Any]:
    """The HEAD twin of a GET operation: same statuses and headers, no body."""
    head = copy.deepcopy(get)
    head["operationId"] = get["operationId"] + "_head"
    head["summary"] = get["summary"] + " (headers only)"
    for response in head["responses"].values():
        response.pop("content", None)
    return head


def _info(config: Config) -> dict[str, Any]:
    notes = [
        "ChartMuseum-compatible Helm chart repository server.",
        "Every GET route also answers HEAD; OPTIONS is answered automatically (not described).",
        "Other methods on a described path answer 405, unknown paths 404 "
        '(`{"error": "not found"}`).',
    ]
    if config.depth_dynamic:
        notes.append(DYNAMIC_NOTE)
    if config.disable_api:
        notes.append("The /api routes are disabled (--disable-api).")
    return {"title": "ChartMuseum", "version": __version__, "description": "\n\n".join(notes)}


def _security_schemes(config: Config) -> dict[str, Schema]:
    scheme = auth_scheme(config)
    if scheme == "basicAuth":
        return {scheme: {"type": "http", "scheme": "basic"}}
    if scheme == "bearerAuth":
        description = (
            f"JWT from {config.auth_realm} (service {config.auth_service}); the token's access "
            "list must grant the operation's role (pull or push) on the repository."
        )
        return {
            scheme: {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": description,
            }
        }
    return {}


def build_spec(config: Config) -> dict[str, Any]:
    """The OpenAPI 3.1 description of everything the server serves for ``config``.

    :param config: the normalised configuration the application was built from.
    """
    paths: dict[str, dict[str, Any]] = {}
    for route in all_routes(config):
        item = paths.setdefault(route_path(route, config), {})
        item[route.method] = operation(route, config)
        if route.method == "get":
            item["head"] = head_of(item["get"])
    components: dict[str, Any] = {"schemas": SCHEMAS, "headers": HEADERS}
    schemes = _security_schemes(config)
    if schemes:
        components["securitySchemes"] = schemes
    return {
        "openapi": "3.1.0",
        "info": _info(config),
        "paths": paths,
        "components": copy.deepcopy(components),
    }
