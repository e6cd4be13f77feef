"""The option table: every setting, with its config key, flag, env var, type and default.

One declaration per option drives the command line (``--help`` included), the environment
variables, the YAML config file and the typed :class:`Config` object the app receives.
Names, keys and defaults follow ChartMuseum 0.16.5 so existing deployments keep working.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

Kind = Literal["bool", "int", "str", "duration", "kv"]


def _opt(
    default: Any,
    key: str,
    flag: str,
    help: str,
    *,
    kind: Kind | None = None,
    env: str | None = None,
    short: str | None = None,
    deprecated: bool = False,
) -> Any:
    """Declare one option; ``kind`` defaults to the Python type of ``default``."""
    if kind is None:
        kind = {bool: "bool", int: "int", str: "str"}[type(default)]  # type: ignore[assignment]
    meta = {
        "key": key,
        "flag": flag,
        "env": env or flag.upper().replace("-", "_"),
        "kind": kind,
        "help": help,
        "short": short,
        "deprecated": deprecated,
    }
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


def _default_workers() -> int:
    return max(2, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class Config:
    """Resolved settings. Build it with :func:`app.config.load_config`."""

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
    storage: str = _opt("", "storage.backend", "storage", "storage backend: local, amazon, google, oracle, microsoft, alibaba, openstack, baidu, etcd, tencent")
    storage_timestamp_tolerance: float = _opt(0.0, "storage.timestamptolerance", "storage-timestamp-tolerance", "timestamp drift tolerated before an object counts as updated", kind="duration")
    storage_local_rootdir: str = _opt("", "storage.local.rootdir", "storage-local-rootdir", "directory to store charts in (local storage)")
    storage_amazon_bucket: str = _opt("", "storage.amazon.bucket", "storage-amazon-bucket", "S3 bucket")
    storage_amazon_prefix: str = _opt("", "storage.amazon.prefix", "storage-amazon-prefix", "S3 key prefix")
    storage_amazon_region: str = _opt("", "storage.amazon.region", "storage-amazon-region", "S3 region")
    storage_amazon_endpoint: str = _opt("", "storage.amazon.endpoint", "storage-amazon-endpoint", "alternative S3 endpoint")
    storage_amazon_sse: str = _opt("", "storage.amazon.sse", "storage-amazon-sse", "S3 server-side encryption algorithm")
    storage_amazon_force_path_style: bool = _opt(True, "storage.amazon.forcepathstyle", "storage-amazon-force-path-style", "use path-style S3 addressing")
    storage_google_bucket: str = _opt("", "storage.google.bucket", "storage-google-bucket", "GCS bucket")
    storage_google_prefix: str = _opt("", "storage.google.prefix", "storage-google-prefix", "GCS prefix")
    storage_oracle_bucket: str = _opt("", "storage.oracle.bucket", "storage-oracle-bucket", "OCI bucket")
    storage_oracle_prefix: str = _opt("", "storage.oracle.prefix", "storage-oracle-prefix", "OCI prefix")
    storage_oracle_region: str = _opt("", "storage.oracle.region", "storage-oracle-region", "OCI region")
    storage_oracle_compartmentid: str = _opt("", "storage.oracle.compartmentid", "storage-oracle-compartmentid", "OCI compartment OCID")
    storage_microsoft_container: str = _opt("", "storage.microsoft.container", "storage-microsoft-container", "Azure blob container")
    storage_microsoft_prefix: str = _opt("", "storage.microsoft.prefix", "storage-microsoft-prefix", "Azure blob prefix")
    storage_alibaba_bucket: str = _opt("", "storage.alibaba.bucket", "storage-alibaba-bucket", "OSS bucket")
    storage_alibaba_prefix: str = _opt("", "storage.alibaba.prefix", "storage-alibaba-prefix", "OSS prefix")
    storage_alibaba_endpoint: str = _opt("", "storage.alibaba.endpoint", "storage-alibaba-endpoint", "OSS endpoint")
    storage_alibaba_sse: str = _opt("", "storage.alibaba.sse", "storage-alibaba-sse", "OSS server-side encryption (AES256 or KMS)")
    storage_openstack_container: str = _opt("", "storage.openstack.container", "storage-openstack-container", "Swift container")
    storage_openstack_prefix: str = _opt("", "storage.openstack.prefix", "storage-openstack-prefix", "Swift prefix")
    storage_openstack_region: str = _opt("", "storage.openstack.region", "storage-openstack-region", "OpenStack region")
    storage_openstack_cacert: str = _opt("", "storage.openstack.cacert", "storage-openstack-cacert", "CA bundle for OpenStack endpoints")
    storage_openstack_auth: str = _opt("auto", "storage.openstack.auth", "storage-openstack-auth", "OpenStack auth protocol: auto or v1")
    storage_baidu_bucket: str = _opt("", "storage.baidu.bucket", "storage-baidu-bucket", "BOS bucket")
    storage_baidu_prefix: str = _opt("", "storage.baidu.prefix", "storage-baidu-prefix", "BOS prefix")
    storage_baidu_endpoint: str = _opt("", "storage.baidu.endpoint", "storage-baidu-endpoint", "BOS endpoint")
    storage_etcd_endpoint: str = _opt("http://localhost:2379", "storage.etcd.endpoint", "storage-etcd-endpoint", "comma-separated etcd endpoints")
    storage_etcd_cafile: str = _opt("", "storage.etcd.cafile", "storage-etcd-cafile", "etcd CA file")
    storage_etcd_certfile: str = _opt("", "storage.etcd.certfile", "storage-etcd-certfile", "etcd client certificate")
    storage_etcd_keyfile: str = _opt("", "storage.etcd.keyfile", "storage-etcd-keyfile", "etcd client key")
    storage_etcd_prefix: str = _opt("", "storage.etcd.prefix", "storage-etcd-prefix", "etcd key prefix")
    storage_tencent_bucket: str = _opt("", "storage.tencent.bucket", "storage-tencent-bucket", "COS bucket")
    storage_tencent_prefix: str = _opt("", "storage.tencent.prefix", "storage-tencent-prefix", "COS prefix")
    storage_tencent_endpoint: str = _opt("", "storage.tencent.endpoint", "storage-tencent-endpoint", "COS endpoint")
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
    artifact_hub_repo_id: dict[str, str] = _opt({}, "artifact-hub-repo-id", "artifact-hub-repo-id", "Artifact Hub repository ID, [repo=]ID (repeatable)", kind="kv")
    always_regenerate_chart_index: bool = _opt(False, "always-regenerate-chart-index", "always-regenerate-chart-index", "re-scan storage on every index read")
    workers: int = _opt(_default_workers(), "workers", "workers", "number of gunicorn worker processes")
    threads: int = _opt(4, "threads", "threads", "threads per worker process")
    cache_dir: str = _opt("", "cache.dir", "cache-dir", "folder for the shared index state (default: <rootdir>/.chartmuseum for local storage)")
    # fmt: on

    def with_updates(self, **changes: Any) -> Config:
        """Return a copy with some values replaced (handy in tests)."""
        return dataclasses.replace(self, **changes)


OPTIONS: tuple[dataclasses.Field[Any], ...] = tuple(dataclasses.fields(Config))
