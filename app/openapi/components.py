"""Reusable parts of the OpenAPI description: body schemas, headers and response builders."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

JSON = "application/json"
YAML = "application/x-yaml"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.cncf.helm.config.v1+json"
OCI_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_CHART_LEGACY = "application/tar+gzip"
OCI_PROV = "application/vnd.cncf.helm.chart.provenance.v1.prov"

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


#: the digests the registry accepts (``algorithm:hex``)
DIGEST_PATTERN = r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"
_DIGEST: Schema = {"type": "string", "pattern": DIGEST_PATTERN}

#: the distribution spec's error codes, plus the registry's own two
REGISTRY_CODES = [
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
    "TOOMANYREQUESTS",
    "PAGINATION_NUMBER_INVALID",
    "UNKNOWN",
]


def _descriptor(media_types: list[str]) -> Schema:
    return {
        "allOf": [{"$ref": "#/components/schemas/Descriptor"}],
        "properties": {"mediaType": {"enum": media_types}},
    }


REGISTRY_SCHEMAS: dict[str, Schema] = {
    "RegistryErrors": {
        "type": "object",
        "description": "The distribution spec's error body (every error of the /v2 routes).",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"enum": REGISTRY_CODES},
                        "message": _STRING,
                        "detail": {},
                    },
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    },
    "Descriptor": {
        "type": "object",
        "description": "A blob a manifest references (other descriptor fields are kept).",
        "required": ["mediaType", "digest", "size"],
        "properties": {
            "mediaType": _STRING,
            "digest": _DIGEST,
            "size": {"type": "integer", "minimum": 0},
        },
    },
    "Manifest": {
        "type": "object",
        "description": (
            "An OCI image manifest of a Helm chart: the Helm config blob, one chart layer and "
            "at most one provenance layer. Served as pushed (byte for byte) while it still "
            "describes the stored package, else derived from the package (stable bytes, with "
            "org.opencontainers.image.* annotations). Other fields are kept as pushed."
        ),
        "required": ["schemaVersion", "config", "layers"],
        "properties": {
            "schemaVersion": {"const": 2},
            "mediaType": {"const": OCI_MANIFEST},
            "config": _descriptor([OCI_CONFIG]),
            "layers": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "items": _descriptor([OCI_CHART, OCI_CHART_LEGACY, OCI_PROV]),
            },
        },
    },
    "Catalog": {
        "type": "object",
        "description": "Repository names the credentials may pull from, in byte order.",
        "required": ["repositories"],
        "properties": {"repositories": _STRINGS},
        "additionalProperties": False,
    },
    "TagList": {
        "type": "object",
        "description": "The chart's versions as tags (`+` written `_`), in byte order.",
        "required": ["name", "tags"],
        "properties": {"name": _STRING, "tags": _STRINGS},
        "additionalProperties": False,
    },
    "Empty": {"type": "object", "maxProperties": 0},
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
    **REGISTRY_SCHEMAS,
}

HEADERS: dict[str, Schema] = {
    "XRequestId": {
        "description": "The request's X-Request-Id, or a new UUID.",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    "ETag": {"description": "Version of the index.", "required": True, "schema": _STRING},
    "DistributionVersion": {
        "description": "`registry/2.0`, on every answer of the registry routes.",
        "required": True,
        "schema": {"const": "registry/2.0"},
    },
    "ContentDigest": {
        "description": "Digest of the manifest or blob.",
        "required": True,
        "schema": _DIGEST,
    },
    "DigestETag": {
        "description": "The digest, quoted.",
        "required": True,
        "schema": {"type": "string", "pattern": r'^"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})"$'},
    },
    "BlobLocation": {
        "description": "`/v2/<name>/blobs/<digest>` (or `/v2/<name>/manifests/<digest>`).",
        "required": True,
        "schema": {"type": "string", "pattern": "^/v2/.+/(blobs|manifests)/[a-z0-9]+:[a-f0-9]+$"},
    },
    "UploadLocation": {
        "description": "`/v2/<name>/blobs/uploads/<upload_id>`: where the upload continues.",
        "required": True,
        "schema": {"type": "string", "pattern": "^/v2/.+/blobs/uploads/[0-9a-f]{32}$"},
    },
    "UploadUUID": {
        "description": "The upload's id.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    },
    "UploadRange": {
        "description": "`0-<last byte offset>` of what the upload holds (`0-0` when empty).",
        "required": True,
        "schema": {"type": "string", "pattern": "^0-[0-9]+$"},
    },
    "NextLink": {
        "description": 'The next page: `</v2/...?n=<n>&last=<last>>; rel="next"` (RFC 8288).',
        "required": False,
        "schema": {"type": "string", "pattern": '^<[^>]+>; rel="next"$'},
    },
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


def registry_error(description: str) -> Schema:
    """A ``{"errors": [{"code": ..., "message": ...}]}`` response of the registry routes."""
    return json_response(description, "RegistryErrors")


def registry_or_worker_error(description: str) -> Schema:
    """A registry route's 400: the application's registry error, or the worker's
    ``{"error": ...}`` for a malformed request."""
    schema = {"anyOf": [ref("schemas", "RegistryErrors"), ref("schemas", "Error")]}
    return {"description": description, "content": content(JSON, schema)}


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
