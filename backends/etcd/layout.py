"""The keys of an object in etcd, and which of its shapes holds it (pure logic, no I/O).

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
"""

from __future__ import annotations

import contextlib
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from backends.base import ObjectInfo
from backends.base import ObjectNotFound

CHUNK = 1024 * 1024
SINGLE = CHUNK
STAMP = "timestamp"


@dataclass(frozen=True)
class Keys:
    """Every key one object may use (see the module docstring)."""

    path: str
    folder: str
    name: str

    @property
    def plain(self) -> bytes:
        """``K``: the content, in ChartMuseum's layout."""
        return f"{self.folder}/{self.name}".encode()

    @property
    def stamp(self) -> bytes:
        """ChartMuseum's timestamp key of ``K``."""
        return f"{self.folder}/{self.name}/{STAMP}".encode()

    @property
    def meta(self) -> bytes:
        """Our metadata or manifest."""
        return f"{self.folder}\x00/{self.name}".encode()

    @property
    def legacy(self) -> bytes:
        """The previous release's manifest."""
        return f"{self.folder}\x00{self.name}".encode()

    def chunks(self, blob_id: str, legacy: bool = False) -> bytes:
        """The key prefix of a manifest's chunks."""
        if legacy:
            return f"{self.folder}/{self.name}\x01{blob_id}\x01".encode()
        return f"{self.folder}\x01/{self.name}/{blob_id}/".encode()


@dataclass(frozen=True)
class KV:
    """One key as read: its mod revision and value (None when read keys-only)."""

    mod: int
    value: bytes | None = None


@dataclass(frozen=True)
class State:
    """The keys of one object at one etcd revision."""

    revision: int
    plain: KV | None
    stamp: KV | None
    meta: KV | None
    legacy: KV | None


@dataclass(frozen=True)
class Found:
    """The object a state holds: plain (``content`` when read) or chunked (``manifest``)."""

    size: int | None  # None: a plain object whose size needs its content
    modified: int
    content: bytes | None = None
    manifest: dict[str, Any] | None = None
    legacy: bool = False


def full_key(base: str, path: str) -> str:
    """The key of ``path`` (an object or folder) below ``base``; ``base`` itself for the root."""
    clean = posixpath.normpath("/" + path).lstrip("/")
    return f"{base}/{clean}" if clean else base


def object_keys(base: str, path: str) -> Keys:
    """The keys of the object at ``path``. :raises ObjectNotFound: ``path`` is the root."""
    full = full_key(base, path)
    if full == base:
        raise ObjectNotFound(f"{path!r}: not an object path")
    folder, name = posixpath.split(full)
    return Keys(path, folder, name)


def json_of(kv: KV | None) -> dict[str, Any]:
    """The JSON object in ``kv``; {} when absent, not read or not JSON."""
    with contextlib.suppress(ValueError):
        loaded = json.loads(kv.value) if kv and kv.value else {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def resolve(state: State) -> Found | None:
    """The newest shape of the object in ``state`` (module docstring), None when absent."""
    meta, legacy = json_of(state.meta), json_of(state.legacy)
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
    return Found(size, modified, manifest=manifest, legacy=shape == "legacy")


def _plain(state: State) -> Found:
    """A plain object: described by trusted metadata, else by its keys' values."""
    assert state.plain is not None
    meta = described(state)
    if meta is not None:
        return Found(int(meta["size"]), int(meta["modified"]), state.plain.value)
    content = state.plain.value
    if content is None or (state.stamp is not None and state.stamp.value is None):
        return Found(None, 0)
    return Found(len(content), _stamp_ns(state.plain, state.stamp), content)


def described(state: State) -> dict[str, Any] | None:
    """The plain metadata when it describes exactly the current plain key and timestamp."""
    meta = json_of(state.meta)
    if state.plain is None or state.meta is None or "id" in meta or not meta:
        return None
    stamp = state.stamp.mod if state.stamp else 0
    revs = meta.get("revs", [state.meta.mod, state.meta.mod])
    return meta if revs == [state.plain.mod, stamp] else None


def _stamp_ns(plain: KV, stamp: KV | None) -> int:
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


def object_name(raw: bytes) -> str | None:
    """An object name from a key, None for names no object of ours or ChartMuseum's has."""
    try:
        name = raw.decode()
    except UnicodeDecodeError:
        return None
    return name if name and "\x00" not in name and "\x01" not in name else None


def manifest(info: ObjectInfo, blob_id: str, chunks: int) -> bytes:
    """The manifest of a chunked object: ``chunks`` chunks under ``blob_id``."""
    fields = {"size": info.size, "modified": info.last_modified_ns, "id": blob_id}
    return json.dumps(fields | {"chunks": chunks}).encode()


def seconds(info: ObjectInfo) -> bytes:
    """The value of ChartMuseum's timestamp key for ``info``."""
    return str(info.last_modified_ns // 1_000_000_000).encode()


def range_end(prefix: bytes) -> bytes:
    """The end of the key range holding every key that starts with ``prefix``."""
    return prefix[:-1] + bytes([prefix[-1] + 1])


def next_start(last: bytes, offset: int) -> bytes:
    """Where the next page of a folder's keys starts: past ``last``, and past the whole nested
    folder when ``last`` is inside one (its timestamp keys aside), so one page per folder."""
    name, sep, tail = last[offset:].partition(b"/")
    if not sep or tail == STAMP.encode():
        return last + b"\x00"
    return range_end(last[:offset] + name + b"/")
