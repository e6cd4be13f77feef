"""Assemble the OpenAPI 3.1 document for one configuration.

Depth, context path, auth and the disabled route families all change the document; it is
built once per application, from the same :class:`Config` the routes are mounted from.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from app import __version__
from app.auth import LOGIN
from app.auth import PULL
from app.errors import REGISTRY_ROOT
from app.openapi.components import HEADERS
from app.openapi.components import MALFORMED
from app.openapi.components import SCHEMAS
from app.openapi.components import WORKER_ERRORS
from app.openapi.components import Schema
from app.openapi.components import error
from app.openapi.components import ref
from app.openapi.components import registry_error
from app.openapi.components import registry_or_worker_error
from app.openapi.components import worker_errors
from app.openapi.routes import TENANT
from app.openapi.routes import Route
from app.openapi.routes import all_routes
from app.options import Config

# a tenant segment the server accepts: no ".", "..", hidden, backslash or NUL segments
TENANT_PATTERN = r"^[^/.\\\x00][^/\\\x00]*$"
SEGMENT_PATTERN = r"^[^/]+$"
_PARAM = re.compile(r"{(\w+)}")
INVALID_NAME = "Invalid repository path or file name (`invalid repository path: <repo>`...)."
INVALID_REGISTRY_NAME = (
    "`NAME_INVALID`: not an OCI repository name, not as many tenant segments as the server's "
    "depth and a chart name, or a tenant or chart name the storage cannot hold."
)

DYNAMIC_NOTE = (
    "The server runs with --depth-dynamic: every repository path is also served after any "
    "number of tenant segments (`/org1/org2/index.yaml`, `/api/org1/org2/charts`, ...). "
    "OpenAPI cannot express a variable number of path segments, so the paths below are the "
    "depth-0 form (the root repository)."
)

UNROUTED = (
    "`NAME_UNKNOWN` (`not found`): no route matches the path, as for a name with a line break."
)

REGISTRY_NOTE = (
    "The OCI distribution API (tag `registry`) is served at /v2 at the server root, whatever "
    "the context path: repository `<tenant path>/<chart>` is that tenant's chart, its tags "
    "are the chart's versions. Its errors are "
    '`{"errors": [{"code": ..., "message": ...}]}` and its answers carry '
    "`Docker-Distribution-API-Version: registry/2.0` (but for the worker's own answers and "
    "the 404 of a path no route matches)."
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
    if route.mount == "registry":
        return REGISTRY_ROOT + route.path
    if route.mount == "context":  # the bare "" route exists only under a context path
        return ctx + route.path
    if route.mount == "repo":
        return ctx + tenant + route.path
    if route.mount == "ui":
        return ctx + route.path.replace(TENANT, tenant)
    return f"{ctx}/api{tenant}{route.path}"


def _path_parameters(route: Route, config: Config) -> list[Schema]:
    tenants = set(tenant_names(config))
    params = []
    for name in _PARAM.findall(route_path(route, config)):
        pattern = TENANT_PATTERN if name in tenants else SEGMENT_PATTERN
        schema = {"type": "string", "minLength": 1, "pattern": pattern}
        param = {"name": name, "in": "path", "required": True, "schema": schema}
        if name in route.path_schemas:
            custom = dict(route.path_schemas[name])
            description = custom.pop("description", None)
            param["schema"] = {"type": "string", "minLength": 1, **custom}
            if description:
                param["description"] = description
        params.append(param)
    return params


def _secure(op: dict[str, Any], route: Route, config: Config) -> None:
    scheme = auth_scheme(config)
    if route.action is None or scheme is None:
        op["security"] = []
        return
    if route.action in (PULL, LOGIN) and config.auth_anonymous_get:
        op["security"] = []
        return
    # LOGIN: any valid credentials, no particular role
    roles = [route.action] if scheme == "bearerAuth" and route.action != LOGIN else []
    op["security"] = [{scheme: roles}]
    denied = "`unauthorized`; see the WWW-Authenticate header."
    if route.mount == "registry":
        denied = "`UNAUTHORIZED`; see the WWW-Authenticate header (bearer: the scope needed)."
        op["responses"]["401"] = registry_error(denied)
    else:
        op["responses"]["401"] = error(denied)
    challenge = {"required": True, "schema": {"type": "string", "minLength": 1}}
    op["responses"]["401"]["headers"] = {"WWW-Authenticate": challenge}


def _add_errors(op: dict[str, Any], route: Route, has_params: bool) -> None:
    responses = op["responses"]
    registry = route.mount == "registry"
    if has_params:
        _add_400(responses, INVALID_REGISTRY_NAME if registry else INVALID_NAME)
    _add_400(responses, MALFORMED)
    if registry:  # the application's registry error, or the worker's own
        responses["400"] = registry_or_worker_error(responses["400"]["description"])
    if registry and has_params:
        if "404" in responses:
            responses["404"]["description"] += " " + UNROUTED
        else:
            responses["404"] = registry_error(UNROUTED)
    for status, response in worker_errors().items():
        responses.setdefault(status, response)
    if route.storage and registry:
        responses["500"] = registry_error("`UNKNOWN`: storage or index failure (the error text).")
    elif route.storage:
        responses["500"] = error("Storage or index failure (the error text).")


def _add_400(responses: dict[str, Any], description: str) -> None:
    if "400" in responses:
        responses["400"]["description"] += " " + description
    else:
        responses["400"] = error(description)


def _add_api_version(op: dict[str, Any]) -> None:
    """Registry answers carry Docker-Distribution-API-Version; the worker's own do not, nor
    the 404 of a path no route matches (a name with a line break...), so it is optional on
    the statuses those may have."""
    for status, response in op["responses"].items():
        header = ref("headers", "DistributionVersion")
        if status in ("400", "404") or status in WORKER_ERRORS:
            header = {**HEADERS["DistributionVersion"], "required": False}
        response.setdefault("headers", {})["Docker-Distribution-API-Version"] = header


def _finish_responses(op: dict[str, Any]) -> dict[str, Any]:
    """Every response carries X-Request-Id; statuses in ascending order."""
    for response in op["responses"].values():
        response.setdefault("headers", {})["X-Request-Id"] = ref("headers", "XRequestId")
    op["responses"] = dict(sorted(op["responses"].items()))
    return op


def operation(route: Route, config: Config) -> dict[str, Any]:
    """The complete OpenAPI operation object of ``route``."""
    op = copy.deepcopy(route.operation())
    params = _path_parameters(route, config)
    op["parameters"] = params + op["parameters"]
    op["tags"] = [route.mount if route.mount in ("repo", "api", "registry", "ui") else "server"]
    _add_errors(op, route, bool(params))
    _secure(op, route, config)
    if route.mount == "registry":
        _add_api_version(op)
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
    if not config.disable_oci:
        notes.append(REGISTRY_NOTE)
        if config.disable_api:
            notes.append("The registry is read-only (--disable-api): pushes answer 405.")
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
