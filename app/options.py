"""The option table: every setting, with its config key, flag, env var, type and default.

One declaration per option drives the command line (``--help`` included), the environment
variables, the YAML config file and the typed :class:`Config` object the app receives.
The server's own options are declared here; each storage backend declares its own in its
settings class, and the table composes them. Names, keys and defaults follow ChartMuseum
0.16.5 so existing deployments keep working.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Self
from typing import TypeVar

from backends import backend_names
from backends import backend_settings_types
from backends.settings import BackendSettings
from backends.settings import option as _opt
from backends.settings import option_name

S = TypeVar("S", bound=BackendSettings)
#: the backends' options follow this one in the table (and in ``--help``)
_BACKENDS_AFTER = "storage_timestamp_tolerance"


def _default_workers() -> int:
    return max(2, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class CoreConfig:
    """The server's own settings; :class:`Config` adds every backend's."""

    # fmt: off
    config: str = _opt("", "", "config", "path of a YAML configuration file", short="c")
    gen_index: bool = _opt(False, "genindex", "gen-index", "build index.yaml, print it to stdout and exit")
    debug: bool = _opt(False, "debug", "debug", "log at DEBUG level")
    log_json: bool = _opt(False, "logjson", "log-json", "write logs as JSON lines")
    log_health: bool = _opt(False, "loghealth", "log-health", "also log successful /health requests")
    log_latency_integer: bool = _opt(False, "loglatencyinteger", "log-latency-integer", "log latency as integer nanoseconds")
    disable_metrics: bool = _opt(False, "disablemetrics", "disable-metrics", "deprecated, no effect", deprecated=True)
    enable_metrics: bool = _opt(False, "enablemetrics", "enable-metrics", "expose Prometheus metrics at /metrics")
    disable_api: bool = _opt(False, "disableapi", "disable-api", "disable all /api routes")
    disable_delete: bool = _opt(False, "disabledelete", "disable-delete", "disable the DELETE route")
    disable_statefiles: bool = _opt(False, "disablestatefiles", "disable-statefiles", "never read or write index-cache.yaml")
    json_index: bool = _opt(False, "json-index", "json-index", "serve index.yaml (and the state file) as JSON")
    allow_overwrite: bool = _opt(False, "allowoverwrite", "allow-overwrite", "allow re-uploading an existing chart version without ?force")
    disable_force_overwrite: bool = _opt(False, "disableforceoverwrite", "disable-force-overwrite", "make ?force ineffective")
    port: int = _opt(8080, "port", "port", "port to listen on")
    read_timeout: int = _opt(30, "readtimeout", "read-timeout", "socket read timeout, seconds")
    write_timeout: int = _opt(30, "writetimeout", "write-timeout", "socket write timeout, seconds")
    chart_url: str = _opt("", "charturl", "chart-url", "absolute base URL for the chart URLs in index.yaml")
    basic_auth_user: str = _opt("", "basicauth.user", "basic-auth-user", "username for basic HTTP authentication")
    basic_auth_pass: str = _opt("", "basicauth.pass", "basic-auth-pass", "password for basic HTTP authentication")
    auth_anonymous_get: bool = _opt(False, "authanonymousget", "auth-anonymous-get", "allow anonymous GET requests when auth is on")
    tls_cert: str = _opt("", "tls.cert", "tls-cert", "path to the PEM TLS certificate chain")
    tls_key: str = _opt("", "tls.key", "tls-key", "path to the PEM TLS private key")
    tls_ca_cert: str = _opt("", "tls.cacert", "tls-ca-cert", "CA bundle: require and verify client certificates")
    cache: str = _opt("", "cache.store", "cache", "external cache store (redis)")
    cache_redis_addr: str = _opt("", "cache.redis.addr", "cache-redis-addr", "Redis address host:port")
    cache_redis_password: str = _opt("", "cache.redis.password", "cache-redis-password", "Redis password")
    cache_redis_db: int = _opt(0, "cache.redis.db", "cache-redis-db", "Redis database index")
    storage: str = _opt("", "storage.backend", "storage", f"storage backend: {', '.join(backend_names())}")
    storage_timestamp_tolerance: float = _opt(0.0, "storage.timestamptolerance", "storage-timestamp-tolerance", "timestamp drift tolerated before an object counts as updated", kind="duration")
    chart_post_form_field_name: str = _opt("chart", "chartpostformfieldname", "chart-post-form-field-name", "multipart field name for the chart package")
    prov_post_form_field_name: str = _opt("prov", "provpostformfieldname", "prov-post-form-field-name", "multipart field name for the provenance file")
    max_storage_objects: int = _opt(0, "maxstorageobjects", "max-storage-objects", "maximum number of objects per repository (0: unlimited)")
    max_upload_size: int = _opt(20971520, "maxuploadsize", "max-upload-size", "maximum request body size in bytes")
    index_limit: int = _opt(0, "indexlimit", "index-limit", "parallel package parses while building an index (0: one per CPU)")
    context_path: str = _opt("", "contextpath", "context-path", "URL prefix for every route")
    depth: int = _opt(0, "depth", "depth", "number of path segments that name a repository (tenant)")
    bearer_auth: bool = _opt(False, "bearerauth", "bearer-auth", "enable JWT bearer authentication")
    auth_realm: str = _opt("", "authrealm", "auth-realm", "token service URL for the bearer challenge")
    auth_service: str = _opt("", "authservice", "auth-service", "service name for the bearer challenge")
    auth_cert_path: str = _opt("", "authcertpath", "auth-cert-path", "PEM public key or certificate of the token issuer")
    auth_actions_search_path: str = _opt("", "authactionssearchpath", "auth-actions-search-path", "JMESPath to the allowed actions in the token")
    depth_dynamic: bool = _opt(False, "depthdynamic", "depth-dynamic", "infer the repository depth from each request")
    cors_alloworigin: str = _opt("", "cors.alloworigin", "cors-alloworigin", "Access-Control-Allow-Origin value for API responses", env="CORS_ALLOW_ORIGIN")
    enforce_semver2: bool = _opt(False, "enforce-semver2", "enforce-semver2", "deprecated, no effect", deprecated=True)
    cache_interval: float = _opt(300.0, "cacheinterval", "cache-interval", "period of the background storage re-scan (0: off)", kind="duration")
    listen_host: str = _opt("0.0.0.0", "listen.host", "listen-host", "address to listen on")
    per_chart_limit: int = _opt(0, "per-chart-limit", "per-chart-limit", "keep at most this many versions per chart (0: unlimited)")
    web_template_path: str = _opt("", "web-template-path", "web-template-path", "folder with index.html and static/ for the welcome page")
    web_secret_key: str = _opt("", "web-secret-key", "web-secret-key", "key signing the web UI's session cookie and form tokens (default: random, made once and kept in the cache folder or Redis)")
    artifact_hub_repo_id: dict[str, str] = _opt({}, "artifact-hub-repo-id", "artifact-hub-repo-id", "Artifact Hub repository ID, [repo=]ID (repeatable)", kind="kv")
    always_regenerate_chart_index: bool = _opt(False, "always-regenerate-chart-index", "always-regenerate-chart-index", "re-scan storage on every index read")
    disable_oci: bool = _opt(False, "disableoci", "disable-oci", "disable the OCI registry routes (/v2/)")
    oci_upload_expiry: float = _opt(3600.0, "oci.uploadexpiry", "oci-upload-expiry", "how long an unfinished OCI blob upload, or a blob no manifest uses, is kept", kind="duration")
    workers: int = _opt(_default_workers(), "workers", "workers", "number of gunicorn worker processes")
    threads: int = _opt(4, "threads", "threads", "threads per worker process")
    cache_dir: str = _opt("", "cache.dir", "cache-dir", "folder for the shared index state (default: <rootdir>/.chartmuseum for local storage)")
    # fmt: on

    def with_updates(self, **changes: Any) -> Self:
        """Return a copy with some values replaced (handy in tests)."""
        return dataclasses.replace(self, **changes)


def _backend_fields() -> list[tuple[str, Any, dataclasses.Field[Any]]]:
    """One field per backend option, named after its flag (``storage_amazon_bucket``)."""
    fields = []
    for settings_type in backend_settings_types().values():
        for declared in settings_type.options():
            if declared.default is dataclasses.MISSING:
                made = dataclasses.field(
                    default_factory=declared.default_factory, metadata=declared.metadata
                )
            else:
                made = dataclasses.field(default=declared.default, metadata=declared.metadata)
            fields.append((option_name(declared), declared.type, made))
    return fields


if TYPE_CHECKING:
    # mypy sees the server's options; the app reads a backend's with backend_settings()
    Config = CoreConfig
else:
    Config = dataclasses.make_dataclass(
        "Config",
        _backend_fields(),
        bases=(CoreConfig,),
        frozen=True,
        namespace={
            "__module__": __name__,
            "__doc__": "Resolved settings. Build it with :func:`app.config.load_config`.",
        },
    )


def _ordered_options() -> tuple[dataclasses.Field[Any], ...]:
    """Every field of :class:`Config`, the backends' right after :data:`_BACKENDS_AFTER`."""
    core = [f.name for f in dataclasses.fields(CoreConfig)]
    split = core.index(_BACKENDS_AFTER) + 1
    by_name = {f.name: f for f in dataclasses.fields(Config)}
    backends = [name for name in by_name if name not in core]
    return tuple(by_name[name] for name in core[:split] + backends + core[split:])


OPTIONS: tuple[dataclasses.Field[Any], ...] = _ordered_options()


def backend_settings(config: Config, settings_type: type[S]) -> S:
    """A backend's typed settings, read from the resolved configuration."""
    values = {f.name: getattr(config, option_name(f)) for f in settings_type.options()}
    return settings_type(**values)
