"""How the fuzz run is configured: the server's options and schemathesis' settings."""

from __future__ import annotations

import os

import schemathesis

SEED = 20261202
# examples per operation in the fuzzing phase (the coverage phase adds its own few dozen)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))
USER, PASSWORD = "fuzz", "fuzz-secret"
OPTIONS = {"depth": 1, "basic_auth_user": USER, "basic_auth_pass": PASSWORD}

# every check about the answers: no 5xx, and status, content type, headers and body as
# described; plus "credentials are required where the description says so" and "other
# methods on a described path answer 405 with an Allow header"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
    "unsupported_method",
)

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "auth": {"basic": {"username": USER, "password": PASSWORD}},
        "request-timeout": 30,
    }
)
