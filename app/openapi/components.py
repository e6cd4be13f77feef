"""Reusable parts of the OpenAPI description: body schemas, headers and response builders."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

JSON = "application/json"
YAML = "application/x-yaml"

_STRING: Schema = {"type": "string"}
_STRINGS: Schema = {"type": "array", "items": _STRING}

MAINTAINER: Schema = {
    "type": "object",
    "properties": {"name": _STRING, "email": _STRING, "url": _STRING},
    "additionalProperties": False,
}

DEPENDENCY: Schema = {
    "type": "object",
    "required": ["name", "repository"],
    "properties": {
        "name": _STRING,
        "version": _STRING,
        "repository": _STRING,
        "condition": _STRING,
        "tags": _STRINGS,
        "enabled": {"type": "boolean"},
        "import-values": {"type": "array"},
        "alias": _STRING,
    },
    "additionalProperties": False,
}

CHART_VERSION: Schema = {
    "type": "object",
    "description": "One chart version: its Chart.yaml fields plus urls, created and digest.",
    "required": ["name", "version", "apiVersion", "urls", "created", "digest"],
    "properties": {
        "name": _STRING,
        "home": _STRING,
        "sources": _STRINGS,
        "version": _STRING,
        "description": _STRING,
        "keywords": _STRINGS,
        "maintainers": {"type": "array", "items": {"$ref": "#/components/schemas/Maintainer"}},
        "icon": _STRING,
        "apiVersion": _STRING,
        "condition": _STRING,
        "tags": _STRING,
        "appVersion": _STRING,
        "deprecated": {"type": "boolean"},
        "annotations": {"type": "object", "additionalProperties": _STRING},
        "kubeVersion": _STRING,
        "dependencies": {"type": "array", "items": {"$ref": "#/components/schemas/Dependency"}},
        "type": _STRING,
        "urls": {"type": "array", "items": _STRING, "minItems": 1},
        "created": {"type": "string", "format": "date-time"},
        "removed": {"type": "boolean"},
        "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "additionalProperties": False,
}

_VERSIONS: Schema = {
    "type": "array",
    "items": {"$ref": "#/components/schemas/ChartVersion"},
    "description": "Newest first.",
}


def _flag(name: str) -> Schema:
    return {
        "type": "object",
        "required": [name],
        "properties": {name: {"const": True}},
        "additionalProperties": False,
    }


SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": _STRING},
        "additionalProperties": False,
    },
    "Saved": _flag("saved"),
    "Deleted": _flag("deleted"),
    "Health": _flag("healthy"),
    "Info": {
        "type": "object",
        "required": ["version"],
        "properties": {"version": _STRING},
        "additionalProperties": False,
    },
    "Maintainer": MAINTAINER,
    "Dependency": DEPENDENCY,
    "ChartVersion": CHART_VERSION,
    "ChartVersions": {**_VERSIONS, "minItems": 1},
    "ChartList": {
        "type": "object",
        "description": "Chart name → its versions, names in byte order.",
        "additionalProperties": _VERSIONS,
    },
    "Templates": {
        "type": "object",
        "required": ["templates", "values"],
        "properties": {
            "templates": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "data"],
                    "properties": {"name": _STRING, "data": {"type": "string"}},
                    "additionalProperties": False,
                },
            },
            "values": {"type": ["object", "null"]},
        },
        "additionalProperties": False,
    },
    "Index": {
        "type": "object",
        "description": "Helm's repository index (YAML; JSON with --json-index).",
        "required": ["apiVersion", "entries", "generated"],
        "properties": {
            "apiVersion": {"const": "v1"},
            "entries": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
            "generated": {},
            "serverInfo": {"type": "object"},
        },
    },
}

HEADERS: dict[str, Schema] = {
    "XRequestId": {
        "description": "The request's X-Request-Id, or a new UUID.",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    "ETag": {"description": "Version of the index.", "required": True, "schema": _STRING},
}


def ref(kind: str, name: str) -> Schema:
    """A ``$ref`` to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def content(media_type: str, schema: Schema | None = None) -> dict[str, Schema]:
    """A ``content`` map with one media type."""
    return {media_type: {"schema": schema if schema is not None else {}}}


def json_response(description: str, schema_name: str) -> Schema:
    """A JSON response whose body is the named component schema."""
    return {"description": description, "content": content(JSON, ref("schemas", schema_name))}


def error(description: str) -> Schema:
    """A ``{"error": "<message>"}`` response."""
    return json_response(description, "Error")


# what the worker answers itself, for any path, before the application sees the request
MALFORMED = (
    "Malformed HTTP: request line, header field or chunked framing (answered by the worker)."
)
WORKER_ERRORS = {
    "408": "The request did not arrive whole within --read-timeout (answered by the worker).",
    "414": "Request line too long (answered by the worker).",
    "431": "Too many header fields, or one too large (answered by the worker).",
    "501": "Unsupported Transfer-Encoding (answered by the worker).",
}


def worker_errors() -> dict[str, Schema]:
    """The worker's own ``{"error": ...}`` answers other than 400, by status."""
    return {status: error(description) for status, description in WORKER_ERRORS.items()}


def too_large() -> Schema:
    """ChartMuseum's 413: plain text, not JSON."""
    body = {"type": "string", "const": "request too large"}
    return {
        "description": "Body larger than --max-upload-size.",
        "content": content("text/plain", body),
    }


def binary(media_type: str, description: str) -> Schema:
    """A response carrying raw bytes."""
    return {"description": description, "content": content(media_type, {"type": "string"})}
