"""The transport: etcd's v3 JSON gateway through the ``etcd3gw`` client.

SDK choice: ``etcd3gw`` rather than ``etcd3``. The last ``etcd3`` release (2020) ships protobuf
code that fails to import with protobuf 4+ (``Descriptors cannot be created directly``), and the
workarounds are a process-wide pure-Python protobuf mode or a pin that holds back the Google
libraries. ``etcd3gw`` needs only ``requests``, is maintained, and speaks etcd's ``/v3`` HTTP
gateway (etcd >= 3.3), which has every call used here: range, put, delete and transactions.

The gateway sends keys and values base64-encoded; the helpers here build its requests and
decode its answers into :mod:`backends.etcd.layout` types.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
from typing import Any
from urllib.parse import urlsplit

from backends.base import StorageError
from backends.clients import PerThread
from backends.etcd.layout import KV
from backends.etcd.layout import Keys
from backends.etcd.layout import State

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


def parse_endpoints(value: str) -> list[tuple[str, str, int]]:
    """``(scheme, host, port)`` of each comma-separated endpoint (default http, port 2379)."""
    found = []
    for item in (v.strip() for v in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item if "://" in item else f"http://{item}")
        found.append((parts.scheme or "http", parts.hostname or "localhost", parts.port or 2379))
    return found


class Gateway:
    """Calls to the gateway of any of ``endpoints``; ``tls`` files are used for https ones."""

    def __init__(self, endpoints: list[tuple[str, str, int]], tls: tuple[str, str, str]) -> None:
        self.endpoints = endpoints
        self.tls = tls
        self._per_thread: PerThread[list[Any]] = PerThread(self._make_clients)

    def _clients(self) -> list[Any]:
        """One client per endpoint, per process and thread (requests sessions are not shared)."""
        return self._per_thread.get()

    def _make_clients(self) -> list[Any]:
        sdk, _ = _sdk()
        return [
            sdk.Etcd3Client(
                host=host,
                port=port,
                protocol=scheme,
                timeout=TIMEOUT,
                session=_session(self.tls if scheme == "https" else ("", "", "")),
            )
            for scheme, host, port in self.endpoints
        ]

    def call(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one gateway call, failing over to the next endpoint when one is unreachable.

        :raises StorageError: the call failed, or no endpoint was reachable.
        """
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


# -- requests -----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    """``data`` as the gateway expects keys and values."""
    return base64.b64encode(data).decode("ascii")


def put(key: bytes, value: bytes, prev: bool = False) -> dict[str, Any]:
    """Transaction op: put ``value`` at ``key`` (returning the previous one when ``prev``)."""
    return {"request_put": {"key": b64(key), "value": b64(value)} | _prev(prev)}


def delete(key: bytes, prev: bool = False) -> dict[str, Any]:
    """Transaction op: delete ``key`` (returning the previous value when ``prev``)."""
    return {"request_delete_range": {"key": b64(key)} | _prev(prev)}


def range_request(key: bytes, end: bytes | None = None, **extra: Any) -> dict[str, Any]:
    """The payload of a range call: ``key``, or ``key`` up to ``end``, with ``extra`` fields."""
    payload: dict[str, Any] = {"key": b64(key), **extra}
    if end is not None:
        payload["range_end"] = b64(end)
    return payload


def reads(keys: Keys, content: bool) -> list[dict[str, Any]]:
    """Transaction ops: read every key of an object (``K``'s value only with ``content``)."""
    return [_read(keys.plain, not content), _read(keys.stamp), _read(keys.meta), _read(keys.legacy)]


def _read(key: bytes, keys_only: bool = False) -> dict[str, Any]:
    return {"request_range": {"key": b64(key), "keys_only": keys_only}}


def _prev(prev: bool) -> dict[str, Any]:
    return {"prev_kv": True} if prev else {}


def _unchanged(key: bytes, kv: KV | None) -> dict[str, Any]:
    """Compare: ``key`` still has the mod revision read (0: still absent)."""
    revision = str(kv.mod if kv else 0)
    return {"key": b64(key), "result": "EQUAL", "target": "MOD", "mod_revision": revision}


def unchanged_all(keys: Keys, state: State) -> list[dict[str, Any]]:
    """Compares: every key of the object is as in ``state``."""
    return [
        _unchanged(keys.plain, state.plain),
        _unchanged(keys.stamp, state.stamp),
        _unchanged(keys.meta, state.meta),
        _unchanged(keys.legacy, state.legacy),
    ]


# -- answers ------------------------------------------------------------------------------------


def kv_of(raw: dict[str, Any] | None, keys_only: bool = False) -> KV | None:
    """A key-value of an answer (None stays None); its value is not read when ``keys_only``."""
    if raw is None:
        return None
    return KV(int(raw.get("mod_revision", 0)), None if keys_only else value_of(raw))


def value_of(raw: dict[str, Any]) -> bytes:
    """The value of a key-value of an answer."""
    return base64.b64decode(raw.get("value", ""))


def key_of(raw: dict[str, Any]) -> bytes:
    """The key of a key-value of an answer."""
    return base64.b64decode(raw["key"])


def state_of(result: dict[str, Any], content: bool) -> State:
    """The keys of an object from the answer to a transaction of :func:`reads`."""
    found = [
        (r.get("response_range", {}).get("kvs") or [None])[0] for r in result.get("responses", [])
    ]
    plain, stamp, meta, legacy = found
    kvs = [kv_of(raw) for raw in (stamp, meta, legacy)]
    return State(revision(result), kv_of(plain, not content), *kvs)


def revision(result: dict[str, Any]) -> int:
    """The etcd revision an answer was given at."""
    return int(result.get("header", {}).get("revision", 0))


def previous(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The previous key-values a transaction returned (only manifests ask for them)."""
    found: list[dict[str, Any]] = []
    for response in result.get("responses", []):
        kv = response.get("response_put", {}).get("prev_kv")
        found += [kv] if kv else response.get("response_delete_range", {}).get("prev_kvs", [])
    return found


def compacted(exc: StorageError) -> bool:
    """Whether ``exc`` says the revision read at was compacted."""
    return "compacted" in str(exc)


def _message(exc: Exception) -> str:
    """A short text for an etcd3gw error (the gateway's JSON ``message`` when there is one)."""
    text = str(getattr(exc, "detail_text", "") or exc)
    with contextlib.suppress(ValueError, AttributeError):
        text = json.loads(text).get("message") or text
    return f"etcd: {text.strip()[:300]}"
