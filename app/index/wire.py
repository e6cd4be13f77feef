"""How the shared change log is encoded: journal events and snapshots.

These bytes are what :mod:`app.index.changelog_files` and :mod:`app.index.changelog_redis`
store; a change to them needs a bump of :data:`app.index.persisted.FORMAT_VERSION`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field

from app.index import persisted
from app.index.entry import IndexEntry


@dataclass
class JournalEvent:
    """One change of a tenant's index."""

    seq: int
    generated: str
    token: str | None
    put: list[IndexEntry] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)

    def dumps(self) -> bytes:
        """One journal line (JSON, newline-terminated)."""
        data = {
            "seq": self.seq,
            "generated": self.generated,
            "token": self.token,
            "put": [e.to_wire() for e in self.put],
            "del": self.delete,
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

    @classmethod
    def loads(cls, line: bytes) -> JournalEvent:
        """Inverse of :meth:`dumps`."""
        data = json.loads(line)
        put = [IndexEntry.from_wire(e) for e in data["put"]]
        return cls(data["seq"], data["generated"], data["token"], put, data["del"])


@dataclass
class Snapshot:
    """The whole state of a tenant at journal position ``seq``.

    ``entries`` are in index order (charts, then versions newest first), so loading needs
    no sorting. Serialised as the format version's magic, a small JSON header, then one
    blob of all the entries' YAML and JSON fragments, which loads without parsing them.
    """

    seq: int
    generated: str
    token: str | None
    url_base: str
    entries: list[IndexEntry]

    def encode(self) -> bytes:
        """The snapshot's bytes: magic, header length, JSON header, fragments."""
        rows: list[list[object]] = []
        blob: list[bytes] = []
        for e in self.entries:
            rows.append(
                [
                    e.filename,
                    e.name,
                    e.version,
                    e.digest,
                    e.mtime_ns,
                    e.size,
                    len(e.yaml),
                    len(e.json),
                ]
            )
            blob += (e.yaml, e.json)
        head = {
            "seq": self.seq,
            "generated": self.generated,
            "token": self.token,
            "url_base": self.url_base,
            "entries": rows,
        }
        header = json.dumps(head, separators=(",", ":"), ensure_ascii=False).encode()
        return b"".join([persisted.snapshot_magic(), len(header).to_bytes(8, "big"), header, *blob])

    @classmethod
    def decode(cls, data: bytes) -> Snapshot | None:
        """Inverse of :meth:`encode`; None for anything else (another version, or damaged)."""
        magic = persisted.snapshot_magic()
        if not data.startswith(magic):
            return None
        try:
            start = len(magic) + 8
            end = start + int.from_bytes(data[len(magic) : start], "big")
            head = json.loads(data[start:end])
            entries, pos = [], end
            for f, n, v, d, m, s, ylen, jlen in head["entries"]:
                mid, nxt = pos + ylen, pos + ylen + jlen
                entries.append(IndexEntry(f, n, v, d, m, s, data[pos:mid], data[mid:nxt]))
                pos = nxt
            return cls(head["seq"], head["generated"], head["token"], head["url_base"], entries)
        except (ValueError, KeyError, TypeError):
            return None
