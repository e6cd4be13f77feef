"""Startup checks: ChartMuseum's fatal configuration errors, and building the backend."""

from __future__ import annotations

import logging
import os
import tempfile

from app.errors import ConfigError
from app.options import OPTIONS
from app.options import Config
from app.options import backend_settings
from backends import BackendUnavailable
from backends import backend_settings_types
from backends import get_backend_class
from backends.base import BackendConfigError
from backends.base import StorageBackend
from backends.local import LocalSettings

log = logging.getLogger("chartmuseum")


def normalise(config: Config) -> Config:
    """Apply ChartMuseum's normalisations (context path, chart URL, backend name)."""
    ctx = config.context_path.strip("/")
    return config.with_updates(
        context_path=f"/{ctx}" if ctx else "",
        chart_url=config.chart_url.rstrip("/"),
        storage=config.storage.lower(),
        cache=config.cache.lower(),
    )


def check_config(config: Config) -> None:
    """Raise :class:`ConfigError` with ChartMuseum's message for a fatal misconfiguration."""
    if config.cache and config.cache != "redis":
        raise ConfigError(f"Unsupported cache store: {config.cache}")
    if config.cache and not config.cache_redis_addr:
        raise ConfigError("Missing required flags(s): --cache-redis-addr")
    if config.bearer_auth:
        for value, message in (
            (config.auth_realm, "Missing Auth Realm"),
            (config.auth_service, "Missing Auth Service"),
            (config.auth_cert_path, "Missing Auth Server Public Cert Path"),
        ):
            if not value:
                raise ConfigError(message)
        from app.auth_bearer import load_public_key

        load_public_key(config.auth_cert_path)
    _check_backend_settings(config)
    if config.gen_index and (config.depth > 0 or config.depth_dynamic):
        raise ConfigError("--gen-index needs --depth=0 (it prints the root repository's index)")
    if config.depth < 0:
        raise ConfigError("--depth must not be negative")
    if config.workers < 1 or config.threads < 1:
        raise ConfigError("--workers and --threads must be at least 1")
    _check_tls(config)


def _check_backend_settings(config: Config) -> None:
    """Every backend's own checks of its values, whichever backend is selected."""
    try:
        for settings_type in backend_settings_types().values():
            backend_settings(config, settings_type).check()
    except BackendConfigError as exc:
        raise ConfigError(str(exc)) from exc


def _check_tls(config: Config) -> None:
    for flag, path in (("tls-cert", config.tls_cert), ("tls-key", config.tls_key)):
        if config.tls_cert and config.tls_key and not os.path.isfile(path):
            raise ConfigError(f"--{flag}: file not found: {path}")
    if config.tls_cert and config.tls_key and config.tls_ca_cert:
        try:
            with open(config.tls_ca_cert, encoding="ascii", errors="replace") as fh:
                pem = fh.read()
        except OSError:
            pem = ""
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise ConfigError("Can't parse CA certificate file")


def build_backend(config: Config) -> StorageBackend:
    """Instantiate the configured backend. :raises ConfigError: as ChartMuseum words it."""
    if not config.storage:
        raise ConfigError("Missing required flags(s): --storage")
    try:
        cls = get_backend_class(config.storage)
    except KeyError:
        raise ConfigError(f"Unsupported storage backend: {config.storage}") from None
    except BackendUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    try:
        return cls.from_config(backend_settings(config, cls.settings_type))
    except BackendConfigError as exc:
        raise ConfigError(str(exc)) from exc


def cache_dir_for(config: Config, backend: StorageBackend) -> str:
    """Where the shared index state lives: ``--cache-dir``; for local storage the
    ``.chartmuseum`` folder in it unless the storage folder is read-only; else a folder
    of the system's temporary directory, one per backend."""
    if config.cache_dir:
        return os.path.abspath(config.cache_dir)
    fallback = os.path.join(tempfile.gettempdir(), f"chartmuseum-{_backend_key(backend)}")
    if config.storage != "local":
        return fallback
    rootdir = backend_settings(config, LocalSettings).rootdir
    inside = os.path.join(os.path.abspath(rootdir), ".chartmuseum")
    if _writable(inside):
        return inside
    message = "Storage folder is not writable: index state kept elsewhere"
    log.warning(message, extra={"fields": {"cacheDir": fallback}})
    return fallback


def _backend_key(backend: StorageBackend) -> str:
    import hashlib

    return hashlib.sha256(backend.describe().encode()).hexdigest()[:16]


def _writable(folder: str) -> bool:
    """Whether files can be created in ``folder`` (created if missing)."""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError:
        return False
    return True


def deprecation_warnings(explicit: set[str]) -> list[str]:
    """Warnings for deprecated options that were set explicitly."""
    return [
        f"The configuration option {o.metadata['flag']} has been deprecated"
        for o in OPTIONS
        if o.metadata["deprecated"] and o.name in explicit
    ]
