"""The cachelib layer between the views and the storage backends.

``--cache=redis`` shares everything between instances through one Redis database: the
index change logs (snapshot and journal) and memoized package parses
(:class:`app.index.memo.PackageMemo`). Without it, the workers of
one instance share a cache folder instead (``--cache-dir``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any
from typing import Generic
from typing import TypeVar
from typing import cast

from cachelib import BaseCache
from cachelib import FileSystemCache
from cachelib import RedisCache

from app.errors import ConfigError
from app.index import persisted
from app.options import Config

log = logging.getLogger("chartmuseum")
T = TypeVar("T")


def redis_client(config: Config) -> Any:
    """A redis-py client for ``--cache-redis-addr`` (fork-safe: it reconnects per process)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    host, _, port = config.cache_redis_addr.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--cache-redis-addr must be host:port, not {config.cache_redis_addr!r}")
    return redis.Redis(
        host=host,
        port=int(port),
        password=config.cache_redis_password or None,
        db=config.cache_redis_db,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),  # an outage must not stall requests: fall back fast
    )


def make_cache(cache_dir: str, client: Any = None) -> BaseCache:
    """Redis when configured (sharing ``client``), else a folder shared by the workers.

    Either lives in the format version's namespace (:mod:`app.index.persisted`): what it
    holds is rendered (index entries, parsed charts), so another release must not read it.
    """
    if client is not None:
        prefix = persisted.redis_prefix() + "memo:"
        return RedisCache(host=client, key_prefix=prefix, default_timeout=0)
    folder = os.path.join(persisted.state_root(cache_dir), "memo")
    return FileSystemCache(folder, threshold=2000, default_timeout=0)


def memoized(cache: BaseCache, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per key; cache failures only cost a recomputation."""
    try:
        value = cache.get(key)
    except Exception as exc:  # cachelib backends raise their client's own errors
        log.debug("memo cache unavailable", extra={"fields": {"error": str(exc)}})
        value = None
    if value is not None:
        return cast(T, value)
    value = compute()
    try:
        cache.set(key, value)
    except Exception as exc:
        log.debug("memo cache unavailable", extra={"fields": {"error": str(exc)}})
    return value


class RecentMemo(Generic[T]):
    """The last ``size`` values of a memo, kept in this process in front of the shared cache
    (which costs a file read or a Redis round trip and an unpickling per hit).

    Only for keys that change whenever their value would (they carry digests or stat
    tokens), so nothing here is ever invalidated; the oldest key goes first.
    """

    def __init__(self, cache: BaseCache, size: int = 1024) -> None:
        self.cache = cache
        self.size = size
        self._values: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The value of ``key``: from this process, else :func:`memoized`."""
        value = self._values.get(key)
        if value is None:
            value = memoized(self.cache, key, compute)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    del self._values[next(iter(self._values))]
        return value
