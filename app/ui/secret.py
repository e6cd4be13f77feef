"""The key that signs the web UI's session cookie (and so its CSRF tokens).

Every worker and every instance must sign with the same key, or a form served by one would
be refused by another. ``--web-secret-key`` sets it; without it a random key is made once
and kept in the shared state: in Redis with ``--cache=redis`` (one ``SET NX``), else in the
cache folder (one file, created atomically). Whoever comes first writes it; everyone reads
what was written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from typing import Any

log = logging.getLogger("chartmuseum")

REDIS_KEY = "chartmuseum:web-secret-key"
FILE_NAME = "web-secret-key"


def shared_secret_key(configured: str, cache_dir: str, client: Any = None) -> bytes:
    """The key: ``configured`` when set, else the shared one (made on first use).

    :param client: the redis-py client of ``--cache=redis`` (None: the cache folder).
    """
    if configured:
        return configured.encode()
    if client is not None:
        try:
            return _from_redis(client)
        except Exception as exc:  # redis-py raises its own errors; the folder still works
            log.warning(
                "Redis unavailable for the web secret key, using the cache folder",
                extra={"fields": {"error": str(exc)}},
            )
    try:
        return _from_folder(cache_dir)
    except OSError as exc:
        log.warning(
            "cannot keep the web secret key in the cache folder: forms work only on the "
            "worker that served them; set --web-secret-key",
            extra={"fields": {"error": str(exc)}},
        )
        return secrets.token_hex(32).encode()


def _from_redis(client: Any) -> bytes:
    client.set(REDIS_KEY, secrets.token_hex(32), nx=True)
    value = client.get(REDIS_KEY)
    if not value:
        raise RuntimeError("the key vanished")
    return bytes(value)


def _from_folder(cache_dir: str) -> bytes:
    path = os.path.join(cache_dir, FILE_NAME)
    with contextlib.suppress(FileNotFoundError), open(path, "rb") as fh:
        key = fh.read()
        if key:
            return key
    os.makedirs(cache_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=FILE_NAME + ".", dir=cache_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
        # link() never replaces: a key another process linked first wins
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    with open(path, "rb") as fh:
        return fh.read()
