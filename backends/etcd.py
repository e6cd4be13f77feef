"""etcd storage through etcd's v3 JSON gateway, with the ``etcd3gw`` client.

SDK choice: ``etcd3gw`` rather than ``etcd3``. The last ``etcd3`` release (2020) ships protobuf
code that fails to import with protobuf 4+ (``Descriptors cannot be created directly``), and the
workarounds are a process-wide pure-Python protobuf mode or a pin that holds back the Google
libraries. ``etcd3gw`` needs only ``requests``, is maintained, and speaks etcd's ``/v3`` HTTP
gateway (etcd >= 3.3), which has every call used here: range, put, delete and transactions.

Layout, for a full key ``K = <base>/<path>`` in folder ``D`` with name ``N``
(``<base>`` = ``/`` + prefix without surrounding slashes):

* ``D + "\\x00" + N``: the manifest, JSON ``{"size", "modified" (ns, UTC), "id", "chunks"}``.
  A folder listing is a range read over ``D + "\\x00"`` (1,000 keys a page): non-recursive,
  never a textual prefix match (``org1x.tgz`` cannot appear in ``org1``), no content read.
* ``K + "\\x01" + id + "\\x01" + <8-digit index>``: the content, in chunks of 1 MiB, so objects
  of any size fit etcd's default ``--max-request-bytes`` (1.5 MiB); operators need not raise it.

Writes are atomic: the chunks are written under a fresh ``id``, then one transaction puts the
last chunk and the manifest (for a create: only if the manifest key's create revision is 0);
the replaced or deleted manifest's chunks are removed afterwards. Readers fetch the manifest,
then its chunks at the same etcd revision, so they see the old or the new bytes, never a mix.
A writer that dies before its transaction leaves unreferenced chunks behind (never read).
Timestamps come from the manifest, so list, get and stat agree exactly (ChartMuseum listed
epoch times, bug 14.49). Objects written by ChartMuseum itself (no manifest) are not seen.

Deviation from ChartMuseum: it requires cafile, certfile and keyfile; here they are required only
when an endpoint uses ``https://`` (plain ``http://`` endpoints need no TLS files).
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
from typing import Any
from urllib.parse import urlsplit

from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject

CHUNK = 1024 * 1024
PAGE = 1000
TIMEOUT = 30


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


class EtcdBackend(StorageBackend):
    """Objects as chunked etcd values plus a manifest key per object (see module docstring)."""

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

    def _txn(self, compare: list[Any], success: list[Any]) -> dict[str, Any]:
        return self._call("/kv/txn", {"compare": compare, "success": success, "failure": []})

    # -- keys --------------------------------------------------------------------------------

    def _full(self, path: str) -> str:
        clean = posixpath.normpath("/" + path).lstrip("/")
        return f"{self.base}/{clean}" if clean else self.base

    def _meta_key(self, path: str) -> bytes:
        folder, name = posixpath.split(self._full(path))
        return f"{folder}\x00{name}".encode()

    def _chunk_prefix(self, path: str, blob_id: str) -> bytes:
        return f"{self._full(path)}\x01{blob_id}\x01".encode()

    # -- operations --------------------------------------------------------------------------

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Manifests directly in ``prefix``, every page."""
        start = (self._full(prefix) + "\x00").encode()
        end = _range_end(start)
        found: list[ObjectInfo] = []
        while True:
            kvs = self._range(start, end, limit=PAGE).get("kvs", [])
            for kv in kvs:
                name = base64.b64decode(kv["key"]).decode().rpartition("\x00")[2]
                meta = json.loads(base64.b64decode(kv.get("value", "")))
                found.append(ObjectInfo(name, int(meta["modified"]), int(meta["size"])))
            if len(kvs) < PAGE:
                return found
            start = base64.b64decode(kvs[-1]["key"]) + b"\x00"

    def _manifest(self, path: str) -> tuple[dict[str, Any] | None, int]:
        result = self._range(self._meta_key(path))
        kvs = result.get("kvs", [])
        revision = int(result.get("header", {}).get("revision", 0))
        return (json.loads(base64.b64decode(kvs[0].get("value", ""))) if kvs else None), revision

    def stat_object(self, path: str) -> ObjectInfo | None:
        """The manifest alone (no content read)."""
        meta, _ = self._manifest(path)
        return ObjectInfo(path, int(meta["modified"]), int(meta["size"])) if meta else None

    def get_object(self, path: str) -> StoredObject:
        """The manifest, then its chunks at the revision the manifest was read at."""
        for attempt in range(3):  # a concurrent overwrite plus compaction can hide a snapshot
            meta, revision = self._manifest(path)
            if meta is None:
                raise ObjectNotFound(f"{path}: not found")
            start = self._chunk_prefix(path, meta["id"])
            try:
                kvs = self._range(start, _range_end(start), revision=revision).get("kvs", [])
            except StorageError:
                if attempt == 2:
                    raise
                continue
            if len(kvs) == int(meta["chunks"]):
                content = b"".join(base64.b64decode(kv.get("value", "")) for kv in kvs)
                return StoredObject(path, content, int(meta["modified"]))
        raise StorageError(f"etcd: {path}: content chunks are missing")

    def put_object(self, path: str, content: bytes, *, overwrite: bool = True) -> ObjectInfo:
        """Chunks first, then one transaction for the last chunk and the manifest."""
        blob_id = uuid.uuid4().hex
        chunks = [content[i : i + CHUNK] for i in range(0, len(content), CHUNK)] or [b""]
        prefix = self._chunk_prefix(path, blob_id)
        info = ObjectInfo(path, time.time_ns(), len(content))
        manifest = {"size": info.size, "modified": info.last_modified_ns, "id": blob_id}
        manifest["chunks"] = len(chunks)
        try:
            for i, chunk in enumerate(chunks[:-1]):
                self._call("/kv/put", {"key": _b64(prefix + b"%08d" % i), "value": _b64(chunk)})
        except BaseException:
            self._drop_chunks(prefix)
            raise
        meta_key = self._meta_key(path)
        last = {"key": _b64(prefix + b"%08d" % (len(chunks) - 1)), "value": _b64(chunks[-1])}
        put_meta = {"key": _b64(meta_key), "value": _b64(json.dumps(manifest).encode())}
        compare = [] if overwrite else [_absent(meta_key)]
        # no clean-up when the transaction itself fails: it may have committed
        result = self._txn(compare, [{"request_put": last}, {"request_put": put_meta | _PREV}])
        if not result.get("succeeded"):
            self._drop_chunks(prefix)
            raise ObjectExists(path)
        previous = result["responses"][1].get("response_put", {}).get("prev_kv")
        self._drop_previous(path, previous)
        return info

    def delete_object(self, path: str) -> None:
        """Delete the manifest if present (a transaction), then its chunks."""
        meta_key = self._meta_key(path)
        compare = [{**_absent(meta_key), "result": "GREATER"}]
        delete = {"request_delete_range": {"key": _b64(meta_key)} | _PREV}
        result = self._txn(compare, [delete])
        if not result.get("succeeded"):
            raise ObjectNotFound(f"{path}: not found")
        prev = result["responses"][0].get("response_delete_range", {}).get("prev_kvs", [None])
        self._drop_previous(path, prev[0])

    def _drop_previous(self, path: str, previous: dict[str, Any] | None) -> None:
        """Remove the chunks of a manifest that was just replaced or deleted."""
        if previous:
            old = json.loads(base64.b64decode(previous.get("value", "")))
            self._drop_chunks(self._chunk_prefix(path, old["id"]))

    def _drop_chunks(self, prefix: bytes) -> None:
        payload = {"key": _b64(prefix), "range_end": _b64(_range_end(prefix))}
        with contextlib.suppress(StorageError):  # else garbage only: no manifest points here
            self._call("/kv/deleterange", payload)

    def describe(self) -> str:
        """``etcd:<endpoints><base>``."""
        urls = ",".join(f"{scheme}://{host}:{port}" for scheme, host, port in self.endpoints)
        return f"etcd:{urls}{self.base}"


_PREV = {"prev_kv": True}


def _absent(key: bytes) -> dict[str, Any]:
    return {"key": _b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": "0"}


def _message(exc: Exception) -> str:
    """A short text for an etcd3gw error (the gateway's JSON ``message`` when there is one)."""
    text = str(getattr(exc, "detail_text", "") or exc)
    with contextlib.suppress(ValueError, AttributeError):
        text = json.loads(text).get("message") or text
    return f"etcd: {text.strip()[:300]}"
