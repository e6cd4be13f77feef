"""Change logs in Redis, shared by every instance that uses the same Redis database.

Keys (``<v>`` = ``chartmuseum:v<N>:``, the format version's prefix from
:mod:`app.index.persisted`; ``<p>`` = ``<v>`` + a hash of the tenant path)::

    <p>:snapshot   snapshot (CMSNAP<N>)   <p>:epoch     journal generation (INCR)
    <p>:journal    list of JSON events    <p>:lock      lock while changing the state
    <p>:m:<name>   small markers          <v>tenants    set of tenant paths

Appending an event is one ``RPUSH`` under the lock, so concurrent writers on different
instances never lose each other's changes. Any Redis failure raises
:class:`StateUnavailable`; the index engine then serves from storage instead.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

from app.index import persisted
from app.index.changelog import SNAPSHOT_MARKER
from app.index.changelog import ChangeLog
from app.index.changelog import ChangeLogs
from app.index.changelog import JournalCursor
from app.index.changelog import StateUnavailable
from app.index.wire import JournalEvent
from app.index.wire import Snapshot

COMPACT_EVENTS = 200
LOCK_TIMEOUT = 120


def tenants_key() -> str:
    """The key of the set of tenant paths that have state."""
    return persisted.redis_prefix() + "tenants"


@contextlib.contextmanager
def _redis_errors() -> Iterator[None]:
    import redis

    try:
        yield
    except redis.RedisError as exc:
        raise StateUnavailable(f"redis: {exc}") from exc


class RedisChangeLog(ChangeLog):
    """One repository's snapshot and journal in Redis."""

    def __init__(self, client: Any, repo: str) -> None:
        super().__init__(repo)
        self.client = client
        self.key = persisted.redis_prefix() + hashlib.sha256(repo.encode()).hexdigest()[:24]
        self.tenants = tenants_key()

    def exists(self) -> bool:
        with _redis_errors():
            return bool(self.client.sismember(self.tenants, self.repo))

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        """A Redis lock (SET NX with expiry, released by token)."""
        with _redis_errors():
            lock = self.client.lock(self.key + ":lock", timeout=LOCK_TIMEOUT)
            lock.acquire(blocking=True)
            self.client.sadd(self.tenants, self.repo)
        try:
            yield
        finally:
            with _redis_errors(), contextlib.suppress(Exception):
                lock.release()

    def read_snapshot(self) -> Snapshot | None:
        with _redis_errors():
            raw = self.client.get(self.key + ":snapshot")
        return None if raw is None else Snapshot.decode(raw)

    def write_snapshot(self, snap: Snapshot) -> None:
        with _redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self.key + ":snapshot", snap.encode())
            pipe.set(f"{self.key}:m:{SNAPSHOT_MARKER}", str(snap.seq))
            pipe.delete(self.key + ":journal")
            pipe.incr(self.key + ":epoch")
            pipe.execute()

    def append(self, event: JournalEvent) -> int:
        with _redis_errors():
            return int(self.client.rpush(self.key + ":journal", event.dumps()))

    def should_compact(self, offset: int) -> bool:
        return offset > COMPACT_EVENTS

    def read_events(self, cursor: JournalCursor) -> tuple[list[JournalEvent], bool]:
        with _redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.get(self.key + ":epoch")
            pipe.lrange(self.key + ":journal", cursor.offset, -1)
            epoch_raw, lines = pipe.execute()
        if int(epoch_raw or 0) != cursor.generation:
            return [], True
        cursor.offset += len(lines)
        return [JournalEvent.loads(line) for line in lines], False

    def open_cursor(self) -> JournalCursor:
        with _redis_errors():
            return JournalCursor(int(self.client.get(self.key + ":epoch") or 0), 0)

    def read_marker(self, name: str) -> str:
        with _redis_errors():
            raw = self.client.get(f"{self.key}:m:{name}")
        return raw.decode() if raw else ""

    def write_marker(self, name: str, value: str) -> None:
        with _redis_errors():
            self.client.set(f"{self.key}:m:{name}", value)


class RedisChangeLogs(ChangeLogs):
    """Change logs in one Redis database."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def for_repo(self, repo: str) -> RedisChangeLog:
        """The change log of ``repo``."""
        return RedisChangeLog(self.client, repo)

    def existing_repos(self) -> list[str]:
        """Repositories in the set of tenant paths."""
        with _redis_errors():
            return sorted(m.decode() for m in self.client.smembers(tenants_key()))
