"""etcd storage through etcd's v3 JSON gateway, with the ``etcd3gw`` client.

SDK choice: ``etcd3gw`` rather than ``etcd3``. The last ``etcd3`` release (2020) ships protobuf
code that fails to import with protobuf 4+ (``Descriptors cannot be created directly``), and the
workarounds are a process-wide pure-Python protobuf mode or a pin that holds back the Google
libraries. ``etcd3gw`` needs only ``requests``, is maintained, and speaks etcd's ``/v3`` HTTP
gateway (etcd >= 3.3), which has every call used here: range, put, delete and transactions.

Layout, for an object ``<path>`` with key ``K = <base>/<path>`` in folder ``D`` with name ``N``
(``<base>`` = ``/`` + prefix without surrounding slashes, as ChartMuseum computes it):

* ``K`` holds the content and ``K + "/timestamp"`` the Unix time in whole seconds (decimal text):
  ChartMuseum's own layout, used for every object of at most ``SINGLE`` (1 MiB). One etcd request
  must carry the whole value; etcd's default ``--max-request-bytes`` is 1.5 MiB and the gateway
  sends values base64-encoded, so 1 MiB of content leaves ample room.
* ``D + "\\x00/" + N`` is private metadata (JSON). Next to a plain object it is
  ``{"size", "modified" (ns)}``, written in the same transaction as ``K`` and its timestamp, or
  ``{"size", "modified", "revs": [K's, the timestamp's mod revision]}`` when adopted (below).
  For a larger object (ChartMuseum could never store one) there is no ``K``: the metadata is a
  manifest ``{"size", "modified", "id", "chunks"}`` and the content is in 1 MiB chunks
  ``D + "\\x01/" + N + "/" + id + "/" + <8-digit index>``.
* Read, never written (our previous release stored every object this way): the manifest
  ``D + "\\x00" + N`` with chunks ``K + "\\x01" + id + "\\x01" + <8-digit index>``. Writing or
  deleting the object removes it.

When several shapes of one object exist, the newest (highest mod revision) holds the object.

What ChartMuseum sees of ours: its listing of ``<base>/<repo>`` keeps keys ``<base>/<repo>/X``
where ``X`` has no ``/`` and does not end in ``timestamp``. So it lists, reads and deletes our
plain objects, while every private key has a ``/`` right after its folder part (``\\x00/``,
``\\x01/``) and is dropped at any depth: in its own folder, in a parent's listing (the rest,
``org1\\x00/x.tgz``, still has a ``/``) and at depth 0. It cannot see objects over 1 MiB (its
delete of one does nothing). Keys of our previous release do show up: chunks as
``<name>\\x01<id>\\x01<n>`` (not ``.tgz``, ignored by its index) and, in a parent folder's
listing, manifests as ``<folder>\\x00<name>`` (an invalid package to it) until rewritten.

What we see of ChartMuseum's: plain keys, with the size of the value and the time of the
timestamp key (see ``_stamp_ns`` when it is missing). Its empty base key is not below
``<base>/``, and the timestamp keys and our metadata its delete leaves behind have no ``K``:
none of them is listed, and they do not block a create. A timestamp key counts with ``K`` when
picking the newest shape: when it overwrites one of our large objects and deletes it again, its
orphan timestamp is newer than our manifest, so the object stays deleted (unless its timestamp
write failed).

Our delete removes every key of the object (ChartMuseum's orphan timestamp included) in one
transaction, then the chunks. A listing reads keys only (``keys_only``, 1,000 a page) below
``D + "/"``, jumping past nested folders, plus the small metadata range ``D + "\\x00"``, both at
one revision. It trusts metadata that describes the current mod revisions of ``K`` and its
timestamp (equal to its own when written in one transaction, else ``revs``). Other plain keys
(written or overwritten by ChartMuseum) are read once and adopted: their metadata is written in
a transaction that compares every key with what was read, so later listings are keys-only again.

Writes are atomic: one transaction puts ``K``, its timestamp and the metadata (large objects:
the chunks first under a fresh ``id``, then one transaction with the last chunk and the manifest
that deletes ``K`` and its timestamp). A create (``overwrite=False``) first finds the object
absent, then commits only if every key of the object still has the mod revision seen (0 when
absent), so exactly one concurrent creator wins and stale metadata does not block it. Chunks of
a replaced or deleted manifest are removed afterwards. A delete, too, commits only if every key
is as it read them. Reads get all keys of an object in one
read-only transaction, then the chunks at that revision: the old or the new bytes, never a mix.
A writer that dies before its transaction leaves unreferenced chunks behind (never read).

Deviations from ChartMuseum: it requires cafile, certfile and keyfile; here they are required
only when an endpoint uses ``https://``. Deleting a missing object is ``ObjectNotFound`` (404).
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import posixpath
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject

CHUNK = 1024 * 1024
SINGLE = CHUNK
PAGE = 1000
TIMEOUT = 30
ATTEMPTS = 3
STAMP = "timestamp"


def _sdk() -> tuple[Any, Any]:
    """The ``etcd3gw.client`` and ``etcd3gw.exceptions`` modules."""
    try:
        client = importlib.import_module("etcd3gw.client")
        errors = importlib.import_module("etcd3gw.exceptions")
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend etcd needs: pip install 'chartmuseum[etcd]' ({exc})"
        ) from exc
    return client, errors


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _range_end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


def _session(tls: tuple[str, str, str]) -> Any:
    """A requests session trusting ``cafile`` even when REQUESTS_CA_BUNDLE is set."""
    import requests  # etcd3gw's transport

    class Session(requests.Session):
        def merge_environment_settings(self, *args: Any, **kwargs: Any) -> Any:
            settings = super().merge_environment_settings(*args, **kwargs)
            if isinstance(self.verify, str):  # requests lets the env var win otherwise
                settings["verify"] = self.verify
            return settings

    session = Session()
    cafile, certfile, keyfile = tls
    if cafile:
        session.verify = cafile
    if certfile and keyfile:
        session.cert = (certfile, keyfile)
    return session


def _parse_endpoints(value: str) -> list[tuple[str, str, int]]:
    found = []
    for item in (v.strip() for v in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item if "://" in item else f"http://{item}")
        found.append((parts.scheme or "http", parts.hostname or "localhost", parts.port or 2379))
    return found


# -- the keys of one object and what they hold -------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    """Every key one object may use (see the module docstring)."""

    path: str
    folder: str
    name: str

    @property
    def plain(self) -> bytes:
        return f"{self.folder}/{self.name}".encode()

    @property
    def stamp(self) -> bytes:
        return f"{self.folder}/{self.name}/{STAMP}".encode()

    @property
    def meta(self) -> bytes:
        return f"{self.folder}\x00/{self.name}".encode()

    @property
    def legacy(self) -> bytes:
        return f"{self.folder}\x00{self.name}".encode()

    def chunks(self, blob_id: str, legacy: bool = False) -> bytes:
        """The key prefix of a manifest's chunks."""
        if legacy:
            return f"{self.folder}/{self.name}\x01{blob_id}\x01".encode()
        return f"{self.folder}\x01/{self.name}/{blob_id}/".encode()


@dataclass(frozen=True)
class _KV:
    """One key as read: its mod revision and value (None when read keys-only)."""

    mod: int
    value: bytes | None = None


@dataclass(frozen=True)
class _State:
    """The keys of one object at one etcd revision."""

    revision: int
    plain: _KV | None
    stamp: _KV | None
    meta: _KV | None
    legacy: _KV | None


@dataclass(frozen=True)
class _Found:
    """The object a state holds: plain (``content`` when read) or chunked (``manifest``)."""

    size: int | None  # None: a plain object whose size needs its content
    modified: int
    content: bytes | None = None
    manifest: dict[str, Any] | None = None
    legacy: bool = False


def _kv(raw: dict[str, Any] | None, keys_only: bool = False) -> _KV | None:
    if raw is None:
        return None
    value = None if keys_only else base64.b64decode(raw.get("value", ""))
    return _KV(int(raw.get("mod_revision", 0)), value)


def _json(kv: _KV | None) -> dict[str, Any]:
    """The JSON object in ``kv``; {} when absent, not read or not JSON."""
    with contextlib.suppress(ValueError):
        loaded = json.loads(kv.value) if kv and kv.value else {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _resolve(state: _State) -> _Found | None:
    """The newest shape of the object in ``state`` (module docstring), None when absent."""
    meta, legacy = _json(state.meta), _json(state.legacy)
    shapes: list[tuple[int, str]] = []
    plain = [kv.mod for kv in (state.plain, state.stamp) if kv is not None]
    if plain:  # a timestamp key without K: ChartMuseum deleted what it wrote after a manifest
        shapes.append((max(plain), "plain"))
    if state.meta is not None and "id" in meta:
        shapes.append((state.meta.mod, "meta"))
    if state.legacy is not None and "id" in legacy:
        shapes.append((state.legacy.mod, "legacy"))
    if not shapes:
        return None
    shape = max(shapes)[1]
    if shape == "plain":
        return _plain(state) if state.plain is not None else None
    manifest = meta if shape == "meta" else legacy
    size, modified = int(manifest["size"]), int(manifest["modified"])
    return _Found(size, modified, manifest=manifest, legacy=shape == "legacy")


def _plain(state: _State) -> _Found:
    """A plain object: described by trusted metadata, else by its keys' values."""
    assert state.plain is not None
    meta = _described(state)
    if meta is not None:
        return _Found(int(meta["size"]), int(meta["modified"]), state.plain.value)
    content = state.plain.value
    if content is None or (state.stamp is not None and state.stamp.value is None):
        return _Found(None, 0)
    return _Found(len(content), _stamp_ns(state.plain, state.stamp), content)


def _described(state: _State) -> dict[str, Any] | None:
    """The plain metadata when it describes exactly the current plain key and timestamp."""
    meta = _json(state.meta)
    if state.plain is None or state.meta is None or "id" in meta or not meta:
        return None
    stamp = state.stamp.mod if state.stamp else 0
    revs = meta.get("revs", [state.meta.mod, state.meta.mod])
    return meta if revs == [state.plain.mod, stamp] else None


def _stamp_ns(plain: _KV, stamp: _KV | None) -> int:
    """ChartMuseum's timestamp key, in ns, when it was written with or after the content.

    Without one (missing, unparsable, or left from an older value) the content key's mod
    revision counts as seconds after the epoch, which ChartMuseum meant as its own fallback
    (its code never reaches it and reports the epoch). Unlike a constant epoch it changes with
    every write of the content, so change detection by (mtime, size) still sees updates, and it
    needs no stored state, so list, get and stat agree.
    """
    if stamp is not None and stamp.value and stamp.mod >= plain.mod:
        with contextlib.suppress(ValueError):
            return int(stamp.value.decode("ascii")) * 1_000_000_000
    return plain.mod * 1_000_000_000


def _text(raw: bytes) -> str | None:
    """An object name from a key, None for names no object of ours or ChartMuseum's has."""
    try:
        name = raw.decode()
    except UnicodeDecodeError:
        return None
    return name if name and "\x00" not in name and "\x01" not in name else None


def _key(raw: dict[str, Any]) -> bytes:
    return base64.b64decode(raw["key"])


# -- transaction operations ------------------------------------------------------------------


def _put(key: bytes, value: bytes, prev: bool = False) -> dict[str, Any]:
    return {"request_put": {"key": _b64(key), "value": _b64(value)} | _prev(prev)}


def _delete(key: bytes, prev: bool = False) -> dict[str, Any]:
    return {"request_delete_range": {"key": _b64(key)} | _prev(prev)}


def _read(key: bytes, keys_only: bool = False) -> dict[str, Any]:
    return {"request_range": {"key": _b64(key), "keys_only": keys_only}}


def _prev(prev: bool) -> dict[str, Any]:
    return {"prev_kv": True} if prev else {}


def _unchanged(key: bytes, kv: _KV | None) -> dict[str, Any]:
    """Compare: ``key`` still has the mod revision read (0: still absent)."""
    revision = str(kv.mod if kv else 0)
    return {"key": _b64(key), "result": "EQUAL", "target": "MOD", "mod_revision": revision}


def _unchanged_all(keys: _Keys, state: _State) -> list[dict[str, Any]]:
    """Compares: every key of the object is as in ``state``."""
    return [
        _unchanged(keys.plain, state.plain),
        _unchanged(keys.stamp, state.stamp),
        _unchanged(keys.meta, state.meta),
        _unchanged(keys.legacy, state.legacy),
    ]


def _previous(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The previous key-values a transaction returned (only manifests ask for them)."""
    found: list[dict[str, Any]] = []
    for response in result.get("responses", []):
        put = response.get("response_put", {}).get("prev_kv")
        found += [put] if put else response.get("response_delete_range", {}).get("prev_kvs", [])
    return found


def _manifest(info: ObjectInfo, blob_id: str, chunks: int) -> bytes:
    fields = {"size": info.size, "modified": info.last_modified_ns, "id": blob_id}
    return json.dumps(fields | {"chunks": chunks}).encode()


def _seconds(info: ObjectInfo) -> bytes:
    return str(info.last_modified_ns // 1_000_000_000).encode()


def _compacted(exc: StorageError) -> bool:
    return "compacted" in str(exc)


class EtcdBackend(StorageBackend):
    """ChartMuseum's etcd layout plus private metadata and chunks (see module docstring)."""

    name = "etcd"

    def __init__(
        self, endpoints: list[tuple[str, str, int]], prefix: str, tls: tuple[str, str, str]
    ) -> None:
        self.endpoints = endpoints
        self.base = "/" + prefix.strip("/")
        self.tls = tls
        self._local = threading.local()

    @classmethod
    def from_config(cls, config: Any) -> EtcdBackend:
        """Read ``storage_etcd_*``: prefix always, the TLS files for https endpoints."""
        from app.errors import ConfigError

        endpoints = _parse_endpoints(config.storage_etcd_endpoint or "http://localhost:2379")
        c = config
        tls = (c.storage_etcd_cafile, c.storage_etcd_certfile, c.storage_etcd_keyfile)
        required: list[tuple[str, str]] = []
        if any(scheme != "http" for scheme, _, _ in endpoints):
            required += zip(("cafile", "certfile", "keyfile"), tls, strict=True)
        required.append(("prefix", config.storage_etcd_prefix))
        missing = [f"--storage-etcd-{flag}" for flag, value in required if not value]
        if missing:
            raise ConfigError("Missing required flags(s): " + ", ".join(missing))
        if not endpoints:
            raise ConfigError("--storage-etcd-endpoint: no endpoint given")
        return cls(endpoints, config.storage_etcd_prefix, tls)

    # -- transport ---------------------------------------------------------------------------

    def _clients(self) -> list[Any]:
        """One client per endpoint, per process and thread (requests sessions are not shared)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            sdk, _ = _sdk()
            local.clients = [
                sdk.Etcd3Client(
                    host=host,
                    port=port,
                    protocol=scheme,
                    timeout=TIMEOUT,
                    session=_session(self.tls if scheme == "https" else ("", "", "")),
                )
                for scheme, host, port in self.endpoints
            ]
            local.pid = os.getpid()
        clients: list[Any] = local.clients
        return clients

    def _call(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one gateway call, failing over to the next endpoint when one is unreachable."""
        import requests  # etcd3gw's transport

        errors = _sdk()[1]
        clients = self._clients()
        for i, client in enumerate(clients):
            try:
                result: dict[str, Any] = client.post(client.get_url(op), json=payload)
                if i:  # remember the endpoint that answered
                    clients.insert(0, clients.pop(i))
                return result
            except errors.ConnectionFailedError as exc:
                last: Exception = exc
            except (errors.Etcd3Exception, requests.RequestException, ValueError) as exc:
                raise StorageError(_message(exc)) from exc
        raise StorageError(f"etcd: no endpoint reachable ({_message(last)})")

    def _range(self, key: bytes, end: bytes | None = None, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"key": _b64(key), **extra}
        if end is not None:
            payload["range_end"] = _b64(end)
        return self._call("/kv/range", payload)

    def _page(
        self, start: bytes, end: bytes, revision: int, keys_only: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a range read at ``revision`` (0: the latest, whose revision is returned)."""
        extra: dict[str, Any] = {"limit": PAGE, "keys_only": keys_only}
        if revision:
            extra["revision"] = revision
        result = self._range(start, end, **extra)
        return result.get("kvs", []), revision or _revision(result)

    def _txn(self, compare: list[Any], success: list[Any]) -> dict[str, Any]:
        return self._call("/kv/txn", {"compare": compare, "success": success, "failure": []})

    # -- keys and states ---------------------------------------------------------------------

    def _full(self, path: str) -> str:
        clean = posixpath.normpath("/" + path).lstrip("/")
        return f"{self.base}/{clean}" if clean else self.base

    def _keys(self, path: str) -> _Keys:
        full = self._full(path)
        if full == self.base:
            raise ObjectNotFound(f"{path!r}: not an object path")
        folder, name = posixpath.split(full)
        return _Keys(path, folder, name)

    def _state(self, keys: _Keys, content: bool) -> _State:
        """All keys of one object in one read-only transaction (so at one revision)."""
        reads = [_read(keys.plain, not content), _read(keys.stamp), _read(keys.meta)]
        result = self._txn([], [*reads, _read(keys.legacy)])
        found = [
            (r.get("response_range", {}).get("kvs") or [None])[0]
            for r in result.get("responses", [])
        ]
        plain, stamp, meta, legacy = found
        return _State(
            _revision(result), _kv(plain, not content), _kv(stamp), _kv(meta), _kv(legacy)
        )

    # -- listing -----------------------------------------------------------------------------

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix``: keys only, plus metadata (see module docstring)."""
        attempt = 1
        while True:
            try:
                return self._list(prefix)
            except StorageError as exc:  # the pinned revision was compacted meanwhile
                if attempt == ATTEMPTS or not _compacted(exc):
                    raise
                attempt += 1

    def _list(self, prefix: str) -> list[ObjectInfo]:
        folder = self._full(prefix)
        metas, legacies, revision = self._folder_meta(folder)
        plains, stamps = self._folder_plain(folder, revision)
        found = []
        for name in sorted(plains.keys() | metas.keys() | legacies.keys()):
            state = _State(
                revision, plains.get(name), stamps.get(name), metas.get(name), legacies.get(name)
            )
            info = self._listed(posixpath.join(prefix, name), state)
            if info is not None:
                found.append(ObjectInfo(name, info.last_modified_ns, info.size))
        return found

    def _folder_meta(self, folder: str) -> tuple[dict[str, _KV], dict[str, _KV], int]:
        """Metadata and previous-release manifests of ``folder``, and the revision read at."""
        start = (folder + "\x00").encode()
        end, revision = _range_end(start), 0
        metas: dict[str, _KV] = {}
        legacies: dict[str, _KV] = {}
        offset = len(start)
        while True:
            kvs, revision = self._page(start, end, revision)
            for raw in kvs:
                rest = _key(raw)[offset:]
                target = metas if rest.startswith(b"/") else legacies
                name = _text(rest.removeprefix(b"/"))
                if name is not None:
                    target[name] = _kv(raw) or _KV(0)
            if len(kvs) < PAGE:
                return metas, legacies, revision
            start = _key(kvs[-1]) + b"\x00"

    def _folder_plain(self, folder: str, revision: int) -> tuple[dict[str, _KV], dict[str, _KV]]:
        """Plain keys directly in ``folder`` and their timestamp keys, keys only."""
        start = (folder + "/").encode()
        end, offset = _range_end(start), len(start)
        plains: dict[str, _KV] = {}
        stamps: dict[str, _KV] = {}
        while True:
            kvs, _ = self._page(start, end, revision, keys_only=True)
            for raw in kvs:
                name, sep, tail = _key(raw)[offset:].partition(b"/")
                target = stamps if sep and tail == STAMP.encode() else plains
                text = _text(name)
                if text is not None and (target is stamps or not sep):
                    target[text] = _kv(raw, keys_only=True) or _KV(0)
            if len(kvs) < PAGE:
                return plains, stamps
            start = _next_start(_key(kvs[-1]), offset)

    def _listed(self, path: str, state: _State) -> ObjectInfo | None:
        """An object of a listing; a plain one without trusted metadata is read and adopted."""
        found = _resolve(state)
        if found is not None and found.size is None:
            found = self._adopt(self._keys(path))
        if found is None or found.size is None:
            return None
        return ObjectInfo(path, found.modified, found.size)

    def _adopt(self, keys: _Keys) -> _Found | None:
        """Read a plain object written by ChartMuseum and record its metadata."""
        state = self._state(keys, content=True)
        found = _resolve(state)
        if found is None or found.manifest is not None or _described(state) is not None:
            return found
        assert state.plain is not None and found.size is not None
        stamp = state.stamp.mod if state.stamp else 0
        meta = {"size": found.size, "modified": found.modified, "revs": [state.plain.mod, stamp]}
        ops = [_put(keys.meta, json.dumps(meta).encode(), True), _delete(keys.legacy, True)]
        with contextlib.suppress(StorageError):  # an optimisation only: the next listing retries
            result = self._txn(_unchanged_all(keys, state), ops)
            if result.get("succeeded"):
                self._drop_replaced(keys, result)
        return found

    # -- single objects ----------------------------------------------------------------------

    def stat_object(self, path: str) -> ObjectInfo | None:
        """Keys and metadata only, unless a plain object's size needs its content."""
        try:
            keys = self._keys(path)
        except ObjectNotFound:
            return None
        found = _resolve(self._state(keys, content=False))
        if found is not None and found.size is None:
            found = _resolve(self._state(keys, content=True))
        if found is None or found.size is None:
            return None
        return ObjectInfo(path, found.modified, found.size)

    def get_object(self, path: str) -> StoredObject:
        """All keys at one revision; a chunked object's chunks at that same revision."""
        keys = self._keys(path)
        for attempt in range(ATTEMPTS):  # a concurrent overwrite plus compaction can hide one
            state = self._state(keys, content=True)
            found = _resolve(state)
            if found is None:
                raise ObjectNotFound(f"{path}: not found")
            if found.manifest is None:
                return StoredObject(path, found.content or b"", found.modified)
            try:
                content = self._chunked(keys, found, state.revision)
            except StorageError:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            if content is not None:
                return StoredObject(path, content, found.modified)
        raise StorageError(f"etcd: {path}: content chunks are missing")

    def _chunked(self, keys: _Keys, found: _Found, revision: int) -> bytes | None:
        """A manifest's content, None when chunks are missing."""
        assert found.manifest is not None
        start = keys.chunks(found.manifest["id"], found.legacy)
        kvs = self._range(start, _range_end(start), revision=revision).get("kvs", [])
        if len(kvs) != int(found.manifest["chunks"]):
            return None
        return b"".join(base64.b64decode(kv.get("value", "")) for kv in kvs)

    def put_object(self, path: str, content: bytes, *, overwrite: bool = True) -> ObjectInfo:
        """One transaction; ChartMuseum's layout up to ``SINGLE``, else chunks and a manifest."""
        keys = self._keys(path)
        info = ObjectInfo(path, time.time_ns(), len(content))
        if len(content) > SINGLE:
            result = self._put_chunked(keys, content, info, overwrite)
        else:
            meta = json.dumps({"size": info.size, "modified": info.last_modified_ns}).encode()
            ops = [_put(keys.plain, content), _put(keys.stamp, _seconds(info))]
            ops += [_put(keys.meta, meta, True), _delete(keys.legacy, True)]
            result = self._commit(keys, ops, overwrite)
        self._drop_replaced(keys, result)
        return info

    def _put_chunked(
        self, keys: _Keys, content: bytes, info: ObjectInfo, overwrite: bool
    ) -> dict[str, Any]:
        """Chunks first, then one transaction for the last chunk and the manifest."""
        blob_id = uuid.uuid4().hex
        chunks = [content[i : i + CHUNK] for i in range(0, len(content), CHUNK)]
        prefix = keys.chunks(blob_id)
        self._put_chunks(prefix, chunks[:-1])
        ops = [
            _put(prefix + b"%08d" % (len(chunks) - 1), chunks[-1]),
            _put(keys.meta, _manifest(info, blob_id, len(chunks)), True),
            _delete(keys.plain),
            _delete(keys.stamp),
            _delete(keys.legacy, True),
        ]
        try:  # no clean-up when the transaction itself fails: it may have committed
            return self._commit(keys, ops, overwrite)
        except ObjectExists:
            self._drop_chunks(prefix)
            raise

    def _put_chunks(self, prefix: bytes, chunks: list[bytes]) -> None:
        try:
            for i, chunk in enumerate(chunks):
                self._call("/kv/put", {"key": _b64(prefix + b"%08d" % i), "value": _b64(chunk)})
        except BaseException:
            self._drop_chunks(prefix)
            raise

    def _commit(self, keys: _Keys, ops: list[Any], overwrite: bool) -> dict[str, Any]:
        """Run a write; a create only while the object is absent and its keys unchanged."""
        if overwrite:
            return self._txn([], ops)
        for _ in range(ATTEMPTS):
            state = self._state(keys, content=False)
            if _resolve(state) is not None:
                raise ObjectExists(keys.path)
            result = self._txn(_unchanged_all(keys, state), ops)
            if result.get("succeeded"):
                return result
        raise StorageError(f"etcd: {keys.path}: changed during every create attempt")

    def delete_object(self, path: str) -> None:
        """One transaction deletes every key of the object as read, then the chunks it used.

        Left-overs of an absent object (orphan timestamp, stale metadata) go too.
        """
        keys = self._keys(path)
        ops = [_delete(keys.plain), _delete(keys.stamp), _delete(keys.meta, True)]
        ops.append(_delete(keys.legacy, True))
        for _ in range(ATTEMPTS):
            state = self._state(keys, content=False)
            result = self._txn(_unchanged_all(keys, state), ops)
            if result.get("succeeded"):
                self._drop_replaced(keys, result)
                if _resolve(state) is None:
                    raise ObjectNotFound(f"{path}: not found")
                return
        raise StorageError(f"etcd: {path}: changed during every delete attempt")

    def _drop_replaced(self, keys: _Keys, result: dict[str, Any]) -> None:
        """Remove the chunks of the manifests a transaction replaced or deleted."""
        for kv in _previous(result):
            manifest = _json(_kv(kv))
            if "id" in manifest:
                legacy = _key(kv) == keys.legacy
                self._drop_chunks(keys.chunks(manifest["id"], legacy))

    def _drop_chunks(self, prefix: bytes) -> None:
        payload = {"key": _b64(prefix), "range_end": _b64(_range_end(prefix))}
        with contextlib.suppress(StorageError):  # else garbage only: no manifest points here
            self._call("/kv/deleterange", payload)

    def describe(self) -> str:
        """``etcd:<endpoints><base>``."""
        urls = ",".join(f"{scheme}://{host}:{port}" for scheme, host, port in self.endpoints)
        return f"etcd:{urls}{self.base}"


def _revision(result: dict[str, Any]) -> int:
    return int(result.get("header", {}).get("revision", 0))


def _next_start(last: bytes, offset: int) -> bytes:
    """Where the next page of a folder's keys starts: past ``last``, and past the whole nested
    folder when ``last`` is inside one (its timestamp keys aside), so one page per folder."""
    name, sep, tail = last[offset:].partition(b"/")
    if not sep or tail == STAMP.encode():
        return last + b"\x00"
    return _range_end(last[:offset] + name + b"/")


def _message(exc: Exception) -> str:
    """A short text for an etcd3gw error (the gateway's JSON ``message`` when there is one)."""
    text = str(getattr(exc, "detail_text", "") or exc)
    with contextlib.suppress(ValueError, AttributeError):
        text = json.loads(text).get("message") or text
    return f"etcd: {text.strip()[:300]}"
