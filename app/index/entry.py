"""One chart version of an index, with its pre-serialised YAML and JSON fragments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.charts.filenames import package_filename
from app.gocompat import semver


@dataclass(slots=True)
class IndexEntry:
    """A stored package as it appears in a tenant's index.

    ``yaml`` and ``json`` are the record already serialised, so that building the whole
    index is a join of fragments rather than a serialisation of every record. They persist
    as they are: a change to them or to :meth:`to_wire` needs a bump of
    :data:`app.index.persisted.FORMAT_VERSION`.
    """

    filename: str
    name: str
    version: str
    digest: str
    mtime_ns: int
    size: int
    yaml: bytes
    json: bytes

    def record(self) -> dict[str, Any]:
        """The chart-version object (ChartMuseum's JSON key order)."""
        data: dict[str, Any] = json.loads(self.json)
        return data

    def sort_key(self) -> tuple[Any, ...]:
        """Newest version first; for one version, the canonically named file, then newest."""
        canonical = self.filename != package_filename(self.name, self.version)
        return (semver.sort_key_desc(self.version), canonical, -self.mtime_ns, self.filename)

    def to_wire(self) -> list[Any]:
        """Compact form for the shared journal and snapshot."""
        return [
            self.filename,
            self.name,
            self.version,
            self.digest,
            self.mtime_ns,
            self.size,
            self.yaml.decode(),
            self.json.decode(),
        ]

    @classmethod
    def from_wire(cls, data: list[Any]) -> IndexEntry:
        """Inverse of :meth:`to_wire`."""
        f, n, v, d, m, s, y, j = data
        return cls(f, n, v, d, m, s, y.encode(), j.encode())
