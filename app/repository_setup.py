"""The repository a configuration describes: storage backend, index engine, shared cache
and upload rules.

Built without the web framework: the ``chartmuseum`` command primes the index before it
imports the routes, and ``--gen-index`` never imports them.
"""

from __future__ import annotations

from app.cache import make_cache
from app.cache import redis_client
from app.index.changelog_redis import RedisChangeLogs
from app.index.engine import IndexEngine
from app.index.engine import IndexSettings
from app.index.memo import PackageMemo
from app.options import Config
from app.repository import Repository
from app.repository import UploadRules
from app.startup import build_backend
from app.startup import cache_dir_for
from backends.base import StorageBackend


def build_repository(
    config: Config, backend: StorageBackend | None = None, cache_dir: str = ""
) -> Repository:
    """Backend and state folder (unless given), index engine and upload rules for a
    (normalised) config."""
    backend = backend or build_backend(config)
    url_base = f"{config.chart_url}{config.context_path}" if config.chart_url else ""
    if config.chart_url.endswith(config.context_path):
        url_base = config.chart_url
    settings = IndexSettings(
        cache_dir=cache_dir or cache_dir_for(config, backend),
        context_path=config.context_path,
        json_index=config.json_index,
        url_base=url_base,
        statefiles=not config.disable_statefiles,
        always_regenerate=config.always_regenerate_chart_index,
        cache_interval=config.cache_interval,
        timestamp_tolerance_ns=int(config.storage_timestamp_tolerance * 1e9),
        parse_workers=config.index_limit,
    )
    client = redis_client(config) if config.cache == "redis" else None
    cache = make_cache(settings.cache_dir, client)
    logs = RedisChangeLogs(client) if client is not None else None
    # instances share parses; one instance shares its snapshot instead
    memo = PackageMemo(cache) if client is not None else None
    engine = IndexEngine(backend, settings, logs, memo)
    rules = UploadRules(
        allow_overwrite=config.allow_overwrite,
        disable_force_overwrite=config.disable_force_overwrite,
        max_storage_objects=config.max_storage_objects,
        per_chart_limit=config.per_chart_limit,
        shared_namespace=config.depth_dynamic,
    )
    return Repository(backend, engine, rules, cache)
