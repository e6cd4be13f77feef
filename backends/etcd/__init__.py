"""etcd storage through etcd's v3 JSON gateway, with the ``etcd3gw`` client.

Objects of at most 1 MiB use ChartMuseum's own layout (the key plus a ``/timestamp`` key) next
to private metadata; larger ones are chunked under a manifest. Every write is one
revision-guarded transaction, and a read sees every key of an object at one revision.

* :mod:`backends.etcd.layout`: the key scheme, and which shape of an object is current (no I/O).
* :mod:`backends.etcd.gateway`: the transport (SDK, TLS, failover) and the gateway's requests.
* here: :class:`EtcdBackend`, the storage operations.

Deviations from ChartMuseum: it requires cafile, certfile and keyfile; here they are required
only when an endpoint uses ``https://``. Deleting a missing object is ``ObjectNotFound`` (404).
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import time
import uuid
from dataclasses import dataclass
from typing import Any

from backends.base import BackendConfigError
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject
from backends.etcd import gateway
from backends.etcd import layout
from backends.etcd.layout import CHUNK
from backends.etcd.layout import KV
from backends.etcd.layout import SINGLE
from backends.etcd.layout import STAMP
from backends.etcd.layout import Found
from backends.etcd.layout import Keys
from backends.etcd.layout import State
from backends.settings import BackendSettings
from backends.settings import option

PAGE = 1000
ATTEMPTS = 3


@dataclass(frozen=True)
class EtcdSettings(BackendSettings, backend="etcd"):
    """``--storage-etcd-*``."""

    endpoint: str = option("http://localhost:2379", "comma-separated etcd endpoints")
    cafile: str = option("", "etcd CA file")
    certfile: str = option("", "etcd client certificate")
    keyfile: str = option("", "etcd client key")
    prefix: str = option("", "etcd key prefix")


class EtcdBackend(StorageBackend):
    """ChartMuseum's etcd layout plus private metadata and chunks (see :mod:`.layout`)."""

    name = "etcd"
    settings_type = EtcdSettings

    def __init__(
        self, endpoints: list[tuple[str, str, int]], prefix: str, tls: tuple[str, str, str]
    ) -> None:
        self.endpoints = endpoints
        self.base = "/" + prefix.strip("/")
        self.tls = tls
        self._gateway = gateway.Gateway(endpoints, tls)

    @classmethod
    def from_config(cls, settings: EtcdSettings) -> EtcdBackend:
        """Check the settings: prefix always, the TLS files for https endpoints."""
        endpoints = gateway.parse_endpoints(settings.endpoint or "http://localhost:2379")
        tls = (settings.cafile, settings.certfile, settings.keyfile)
        required: list[tuple[str, str]] = []
        if any(scheme != "http" for scheme, _, _ in endpoints):
            required += zip(("cafile", "certfile", "keyfile"), tls, strict=True)
        required.append(("prefix", settings.prefix))
        missing = [f"--storage-etcd-{flag}" for flag, value in required if not value]
        if missing:
            raise BackendConfigError("Missing required flags(s): " + ", ".join(missing))
        if not endpoints:
            raise BackendConfigError("--storage-etcd-endpoint: no endpoint given")
        return cls(endpoints, settings.prefix, tls)

    # -- transport: every request goes through _call -----------------------------------------

    def _call(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._gateway.call(op, payload)

    def _range(self, key: bytes, end: bytes | None = None, **extra: Any) -> dict[str, Any]:
        return self._call("/kv/range", gateway.range_request(key, end, **extra))

    def _page(
        self, start: bytes, end: bytes, revision: int, keys_only: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a range read at ``revision`` (0: the latest, whose revision is returned)."""
        extra: dict[str, Any] = {"limit": PAGE, "keys_only": keys_only}
        if revision:
            extra["revision"] = revision
        result = self._range(start, end, **extra)
        return result.get("kvs", []), revision or gateway.revision(result)

    def _txn(self, compare: list[Any], success: list[Any]) -> dict[str, Any]:
        return self._call("/kv/txn", {"compare": compare, "success": success, "failure": []})

    def _keys(self, path: str) -> Keys:
        return layout.object_keys(self.base, path)

    def _state(self, keys: Keys, content: bool) -> State:
        """All keys of one object in one read-only transaction (so at one revision)."""
        return gateway.state_of(self._txn([], gateway.reads(keys, content)), content)

    # -- listing -----------------------------------------------------------------------------

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix``: keys only, plus metadata (see :mod:`.layout`)."""
        attempt = 1
        while True:
            try:
                return self._list(prefix)
            except StorageError as exc:  # the pinned revision was compacted meanwhile
                if attempt == ATTEMPTS or not gateway.compacted(exc):
                    raise
                attempt += 1

    def _list(self, prefix: str) -> list[ObjectInfo]:
        folder = layout.full_key(self.base, prefix)
        metas, legacies, revision = self._folder_meta(folder)
        plains, stamps = self._folder_plain(folder, revision)
        found = []
        for name in sorted(plains.keys() | metas.keys() | legacies.keys()):
            state = State(
                revision, plains.get(name), stamps.get(name), metas.get(name), legacies.get(name)
            )
            info = self._listed(posixpath.join(prefix, name), state)
            if info is not None:
                found.append(ObjectInfo(name, info.last_modified_ns, info.size))
        return found

    def _folder_meta(self, folder: str) -> tuple[dict[str, KV], dict[str, KV], int]:
        """Metadata and previous-release manifests of ``folder``, and the revision read at."""
        start = (folder + "\x00").encode()
        end, revision = layout.range_end(start), 0
        metas: dict[str, KV] = {}
        legacies: dict[str, KV] = {}
        offset = len(start)
        while True:
            kvs, revision = self._page(start, end, revision)
            for raw in kvs:
                rest = gateway.key_of(raw)[offset:]
                target = metas if rest.startswith(b"/") else legacies
                name = layout.object_name(rest.removeprefix(b"/"))
                if name is not None:
                    target[name] = gateway.kv_of(raw) or KV(0)
            if len(kvs) < PAGE:
                return metas, legacies, revision
            start = gateway.key_of(kvs[-1]) + b"\x00"

    def _folder_plain(self, folder: str, revision: int) -> tuple[dict[str, KV], dict[str, KV]]:
        """Plain keys directly in ``folder`` and their timestamp keys, keys only."""
        start = (folder + "/").encode()
        end, offset = layout.range_end(start), len(start)
        plains: dict[str, KV] = {}
        stamps: dict[str, KV] = {}
        while True:
            kvs, _ = self._page(start, end, revision, keys_only=True)
            for raw in kvs:
                name, sep, tail = gateway.key_of(raw)[offset:].partition(b"/")
                target = stamps if sep and tail == STAMP.encode() else plains
                text = layout.object_name(name)
                if text is not None and (target is stamps or not sep):
                    target[text] = gateway.kv_of(raw, keys_only=True) or KV(0)
            if len(kvs) < PAGE:
                return plains, stamps
            start = layout.next_start(gateway.key_of(kvs[-1]), offset)

    def _listed(self, path: str, state: State) -> ObjectInfo | None:
        """An object of a listing; a plain one without trusted metadata is read and adopted."""
        found = layout.resolve(state)
        if found is not None and found.size is None:
            found = self._adopt(self._keys(path))
        if found is None or found.size is None:
            return None
        return ObjectInfo(path, found.modified, found.size)

    def _adopt(self, keys: Keys) -> Found | None:
        """Read a plain object written by ChartMuseum and record its metadata."""
        state = self._state(keys, content=True)
        found = layout.resolve(state)
        if found is None or found.manifest is not None or layout.described(state) is not None:
            return found
        assert state.plain is not None and found.size is not None
        stamp = state.stamp.mod if state.stamp else 0
        meta = {"size": found.size, "modified": found.modified, "revs": [state.plain.mod, stamp]}
        ops = [gateway.put(keys.meta, json.dumps(meta).encode(), True)]
        ops.append(gateway.delete(keys.legacy, True))
        with contextlib.suppress(StorageError):  # an optimisation only: the next listing retries
            result = self._txn(gateway.unchanged_all(keys, state), ops)
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
        found = layout.resolve(self._state(keys, content=False))
        if found is not None and found.size is None:
            found = layout.resolve(self._state(keys, content=True))
        if found is None or found.size is None:
            return None
        return ObjectInfo(path, found.modified, found.size)

    def get_object(self, path: str) -> StoredObject:
        """All keys at one revision; a chunked object's chunks at that same revision."""
        keys = self._keys(path)
        for attempt in range(ATTEMPTS):  # a concurrent overwrite plus compaction can hide one
            state = self._state(keys, content=True)
            found = layout.resolve(state)
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

    def _chunked(self, keys: Keys, found: Found, revision: int) -> bytes | None:
        """A manifest's content, None when chunks are missing."""
        assert found.manifest is not None
        start = keys.chunks(found.manifest["id"], found.legacy)
        kvs = self._range(start, layout.range_end(start), revision=revision).get("kvs", [])
        if len(kvs) != int(found.manifest["chunks"]):
            return None
        return b"".join(gateway.value_of(kv) for kv in kvs)

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """One transaction; ChartMuseum's layout up to ``SINGLE``, else chunks and a manifest."""
        keys = self._keys(path)
        info = ObjectInfo(path, time.time_ns(), len(content))
        if len(content) > SINGLE:
            result = self._put_chunked(keys, content, info, overwrite)
        else:
            meta = json.dumps({"size": info.size, "modified": info.last_modified_ns}).encode()
            ops = [gateway.put(keys.plain, content), gateway.put(keys.stamp, layout.seconds(info))]
            ops += [gateway.put(keys.meta, meta, True), gateway.delete(keys.legacy, True)]
            result = self._commit(keys, ops, overwrite)
        self._drop_replaced(keys, result)
        return info

    def _put_chunked(
        self, keys: Keys, content: bytes, info: ObjectInfo, overwrite: bool
    ) -> dict[str, Any]:
        """Chunks first, then one transaction for the last chunk and the manifest."""
        blob_id = uuid.uuid4().hex
        chunks = [content[i : i + CHUNK] for i in range(0, len(content), CHUNK)]
        prefix = keys.chunks(blob_id)
        self._put_chunks(prefix, chunks[:-1])
        ops = [
            gateway.put(prefix + b"%08d" % (len(chunks) - 1), chunks[-1]),
            gateway.put(keys.meta, layout.manifest(info, blob_id, len(chunks)), True),
            gateway.delete(keys.plain),
            gateway.delete(keys.stamp),
            gateway.delete(keys.legacy, True),
        ]
        try:  # no clean-up when the transaction itself fails: it may have committed
            return self._commit(keys, ops, overwrite)
        except ObjectExists:
            self._drop_chunks(prefix)
            raise

    def _put_chunks(self, prefix: bytes, chunks: list[bytes]) -> None:
        try:
            for i, chunk in enumerate(chunks):
                key, value = gateway.b64(prefix + b"%08d" % i), gateway.b64(chunk)
                self._call("/kv/put", {"key": key, "value": value})
        except BaseException:
            self._drop_chunks(prefix)
            raise

    def _commit(self, keys: Keys, ops: list[Any], overwrite: bool) -> dict[str, Any]:
        """Run a write; a create only while the object is absent and its keys unchanged."""
        if overwrite:
            return self._txn([], ops)
        for _ in range(ATTEMPTS):
            state = self._state(keys, content=False)
            if layout.resolve(state) is not None:
                raise ObjectExists(keys.path)
            result = self._txn(gateway.unchanged_all(keys, state), ops)
            if result.get("succeeded"):
                return result
        raise StorageError(f"etcd: {keys.path}: changed during every create attempt")

    def delete_object(self, path: str) -> None:
        """One transaction deletes every key of the object as read, then the chunks it used.

        Left-overs of an absent object (orphan timestamp, stale metadata) go too.
        """
        keys = self._keys(path)
        ops = [gateway.delete(keys.plain), gateway.delete(keys.stamp)]
        ops += [gateway.delete(keys.meta, True), gateway.delete(keys.legacy, True)]
        for _ in range(ATTEMPTS):
            state = self._state(keys, content=False)
            result = self._txn(gateway.unchanged_all(keys, state), ops)
            if result.get("succeeded"):
                self._drop_replaced(keys, result)
                if layout.resolve(state) is None:
                    raise ObjectNotFound(f"{path}: not found")
                return
        raise StorageError(f"etcd: {path}: changed during every delete attempt")

    def _drop_replaced(self, keys: Keys, result: dict[str, Any]) -> None:
        """Remove the chunks of the manifests a transaction replaced or deleted."""
        for kv in gateway.previous(result):
            manifest = layout.json_of(gateway.kv_of(kv))
            if "id" in manifest:
                legacy = gateway.key_of(kv) == keys.legacy
                self._drop_chunks(keys.chunks(manifest["id"], legacy))

    def _drop_chunks(self, prefix: bytes) -> None:
        payload = gateway.range_request(prefix, layout.range_end(prefix))
        with contextlib.suppress(StorageError):  # else garbage only: no manifest points here
            self._call("/kv/deleterange", payload)

    def describe(self) -> str:
        """``etcd:<endpoints><base>``."""
        urls = ",".join(f"{scheme}://{host}:{port}" for scheme, host, port in self.endpoints)
        return f"etcd:{urls}{self.base}"
