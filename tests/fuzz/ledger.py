"""Bookkeeping of the fuzz run: every request and answer, the uploads that were answered
201, the failures found, and the summary line printed at the end of the test session."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from tests.helpers import make_chart
from tests.helpers import make_prov

# The real packages the fuzzer sometimes sends (the rest of its bodies are random bytes);
# one has a name too long for a file name on most file systems (255 bytes).
# The tenant "fuzz" holds SEEDED before the run starts, so reads can find something.
LONG_NAME = "long" * 64
POOL_CHARTS = [
    ("fuzzchart", "0.1.0"),
    ("fuzzchart", "0.2.0-rc.1"),
    ("other", "1.2.3"),
    (LONG_NAME, "1.0.0"),
]
CHARTS = {f"{n}-{v}.tgz": make_chart(n, v) for n, v in POOL_CHARTS}
PROVS = {f"{n}-{v}.tgz.prov": make_prov(n, v) for n, v in POOL_CHARTS}
SEEDED = ("fuzz", "fuzzchart-0.1.0.tgz")
STATEFILE = "index-cache.yaml"


@dataclass
class Failure:
    """A check that failed: the request, the answer and what is wrong with it."""

    request: str
    status: int
    body: str
    problem: str


@dataclass
class Ledger:
    """What the run did; shared by the fuzz tests and the terminal summary."""

    started: float = field(default_factory=time.monotonic)
    finished: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    events: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (op, repo, files)
    storage_checked: str = "not checked"

    def record(self, label: str, status: int) -> None:
        """Count one answered request."""
        if not self.statuses:
            self.started = time.monotonic()
        self.statuses[status] += 1
        self.operations.add(label)
        self.finished = time.monotonic()

    def uploaded(self, repo: str, content_type: str, body: bytes) -> None:
        """A 201 upload: the files it carried are now stored."""
        names = [_pool_name(data) for data in uploaded_files(content_type, body)]
        self.events.append(("add", repo, names))

    def deleted(self, repo: str, name: str, version: str) -> None:
        """A 200 delete: the package and its provenance file are gone."""
        package = f"{name}-{version}.tgz"
        self.events.append(("remove", repo, [package, package + ".prov"]))

    def expected_files(self) -> set[str]:
        """Storage paths that the answered uploads and deletes leave behind, in order."""
        files = {"/".join(SEEDED)}
        for op, repo, names in self.events:
            paths = {f"{repo}/{name}" for name in names}
            files = files | paths if op == "add" else files - paths
        return files

    def unexplained_201s(self) -> int:
        """Files answered 201 that are not a package or provenance file of the pool."""
        return sum(names.count(UNKNOWN) for _, _, names in self.events)

    @property
    def uploads(self) -> int:
        """Uploads answered 201."""
        return sum(1 for op, _, _ in self.events if op == "add")

    def summary(self, header: str) -> str:
        """The one line CI shows."""
        elapsed = max(self.finished - self.started, 0.0)
        answers = " ".join(f"{s}x{n}" for s, n in sorted(self.statuses.items()))
        server_errors = sum(n for s, n in self.statuses.items() if s >= 500)
        return (
            f"{header}: {len(self.operations)} operations, {sum(self.statuses.values())} "
            f"requests in {elapsed:.0f}s ({answers}); 5xx: {server_errors}; failed checks: "
            f"{len(self.failures)}; uploads answered 201: {self.uploads}; storage: "
            f"{self.storage_checked}"
        )

    def details(self, limit: int = 20) -> list[str]:
        """One line per failed check (at most ``limit``)."""
        return [f"FAILED: {f.request} -> {f.status} {f.body[:200]!r}: {f.problem}"
                for f in self.failures[:limit]]  # fmt: skip


UNKNOWN = "<not a pool file>"


def _pool_name(data: bytes) -> str:
    for name, content in {**CHARTS, **PROVS}.items():
        if content == data:
            return name
    return UNKNOWN


def uploaded_files(content_type: str, body: bytes) -> list[bytes]:
    """The files the server reads from an upload: the raw body, or the first non-empty
    file of each multipart field (``chart`` then ``prov``, the default field names)."""
    if content_type.split(";")[0].strip() != "multipart/form-data":
        return [body]
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    _, _, files = parse_form_data(environ)
    found = []
    for field_name in ("chart", "prov"):
        contents = [f.read() for f in files.getlist(field_name)]
        found += [c for c in contents if c][:1]
    return found


def stored_files(root: str) -> set[str]:
    """Every file under the storage root, as ``<tenant>/<name>``, state files aside."""
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            if name != STATEFILE:
                found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


LEDGER = Ledger()
