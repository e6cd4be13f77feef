"""Bookkeeping of the fuzz run: every request and answer, the uploads that were answered
201, the registry's acknowledged writes, the failures found, and the summary line printed at
the end of the test session."""

from __future__ import annotations

import hashlib
import json
import os
import re
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

# -- the OCI registry's pool: the blobs and manifests of pushes of the pool charts --------------
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json"
CHART_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
PROV_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
# registry objects live in <tenant>/.oci/ (written here independently of app.oci.layout)
OCI_FOLDER = ".oci"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tag_of(version: str) -> str:
    return version.replace("+", "_")


def _config(name: str, version: str) -> bytes:
    return json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode()


def _descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data)}


def _manifest(name: str, version: str, prov: bool) -> bytes:
    package = CHARTS[f"{name}-{version}.tgz"]
    layers = [_descriptor(CHART_TYPE, package)]
    if prov:
        layers.append(_descriptor(PROV_TYPE, PROVS[f"{name}-{version}.tgz.prov"]))
    body = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": _descriptor(CONFIG_TYPE, _config(name, version)),
        "layers": layers,
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class PoolManifest:
    """A manifest of a pool chart (with or without its provenance layer)."""

    chart: str
    version: str
    data: bytes

    @property
    def digest(self) -> str:
        return sha256(self.data)

    @property
    def tag(self) -> str:
        return tag_of(self.version)


# the blobs a push of a pool chart uses (package, config, provenance file), by digest
BLOBS = {
    sha256(data): data
    for name, version in POOL_CHARTS
    for data in (
        CHARTS[f"{name}-{version}.tgz"],
        _config(name, version),
        PROVS[f"{name}-{version}.tgz.prov"],
    )
}
MANIFESTS = [
    PoolManifest(name, version, _manifest(name, version, prov))
    for name, version in POOL_CHARTS
    for prov in (False, True)
]
_BY_DIGEST = {m.digest: m for m in MANIFESTS}


def registry_name(name: str, depth: int) -> tuple[str, str] | None:
    """(tenant, chart) of a repository name the server accepts at ``depth``, else None."""
    parts = name.split("/")
    if len(parts) != depth + 1 or not all(re.fullmatch(_COMPONENT, p) for p in parts):
        return None
    return "/".join(parts[:-1]), parts[-1]


def is_digest(value: str) -> bool:
    """Whether ``value`` is a digest the server accepts."""
    return _DIGEST.fullmatch(value) is not None


def _oci(tenant: str, *parts: str) -> str:
    return "/".join(p for p in (tenant, OCI_FOLDER, *parts) if p)


def blob_path(tenant: str, digest: str) -> str:
    """A blob uploaded to the tenant, waiting for a manifest."""
    return _oci(tenant, "blobs", digest.replace(":", "-"))


def upload_paths(tenant: str, upload_id: str, offsets: list[int]) -> set[str]:
    """An upload's objects: its marker and one part per chunk (named by its offset)."""
    marker = _oci(tenant, "uploads", f"{upload_id}.start")
    return {marker} | {_oci(tenant, "uploads", f"{upload_id}.{o:020d}") for o in offsets}


def sidecar_path(tenant: str, chart: str, version: str) -> str:
    """The manifest a client pushed for a chart version."""
    return _oci(tenant, "manifests", chart, f"{tag_of(version)}.json")


def is_registry_object(path: str) -> bool:
    """Whether a storage path is in a tenant's registry folder (not a chart file)."""
    return OCI_FOLDER in path.split("/")


@dataclass
class Upload:
    """An upload the server acknowledged (202) and has not ended: what it received."""

    content: bytes = b""
    offsets: list[int] = field(default_factory=list)


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
    # the registry's objects, kept up to date with every acknowledged registry write
    registry: set[str] = field(default_factory=set)
    # objects an answer leaves ambiguous (present or not, both are right)
    registry_maybe: set[str] = field(default_factory=set)
    uploads_open: dict[tuple[str, str], Upload] = field(default_factory=dict)
    pushes: int = 0
    registry_writes: int = 0
    # registry answers the ledger cannot explain (a success for an unknown upload...)
    unexplained: list[str] = field(default_factory=list)

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

    # -- the registry ----------------------------------------------------------------------
    def blob_stored(self, tenant: str, digest: str, maybe: bool = False) -> None:
        """A blob upload answered 201: the blob is staged in the tenant."""
        path = blob_path(tenant, digest)
        (self.registry_maybe if maybe else self.registry).add(path)
        self.registry_writes += 1

    def upload_started(self, tenant: str, upload_id: str) -> None:
        """An upload answered 202 by POST: its marker exists."""
        self.uploads_open[(tenant, upload_id)] = Upload()
        self.registry |= upload_paths(tenant, upload_id, [])
        self.registry_writes += 1

    def chunk(self, tenant: str, upload_id: str, data: bytes) -> Upload | None:
        """A chunk answered 202: stored as a part at the upload's size (an empty one is not)."""
        upload = self.uploads_open.get((tenant, upload_id))
        if upload is None:
            self.unexplained.append(f"chunk accepted for an unknown upload {upload_id}")
            return None
        if data:
            upload.offsets.append(len(upload.content))
            upload.content += data
            self.registry |= upload_paths(tenant, upload_id, upload.offsets)
            self.registry_writes += 1
        return upload

    def upload_ended(self, tenant: str, upload_id: str) -> None:
        """An upload completed, cancelled or dropped: its objects are gone."""
        upload = self.uploads_open.pop((tenant, upload_id), None)
        if upload is None:
            self.unexplained.append(f"an unknown upload {upload_id} ended")
            return
        self.registry -= upload_paths(tenant, upload_id, upload.offsets)

    def live_uploads(self) -> list[tuple[str, str]]:
        """(tenant, id) of the uploads in progress, oldest first."""
        return list(self.uploads_open)

    def upload(self, tenant: str, upload_id: str) -> Upload | None:
        return self.uploads_open.get((tenant, upload_id))

    def pushed(self, tenant: str, chart: str, body: bytes) -> None:
        """A manifest PUT answered 201: the chart (and provenance file) are stored as an API
        upload would store them, the manifest is kept, and the staged blobs it uses go."""
        self.pushes += 1
        try:
            manifest = json.loads(body)
            layers = [manifest["config"], *manifest["layers"]]
            digests = [layer["digest"] for layer in layers]
        except (ValueError, KeyError, TypeError):
            self.events.append(("add", tenant, [UNKNOWN]))
            return
        names = [_pool_name(BLOBS.get(d, b"")) for d in digests[1:]]
        self.events.append(("add", tenant, names))
        packages = [n for n in names if n.endswith(".tgz")]
        version = packages[0][len(chart) + 1 : -len(".tgz")] if packages else ""
        if not version or not packages[0].startswith(chart + "-"):
            self.unexplained.append(f"push of {chart} stored {names}")
            return
        self.registry.add(sidecar_path(tenant, chart, version))
        self.registry_writes += 1
        for digest in digests:
            self.registry.discard(blob_path(tenant, digest))
            self.registry_maybe.discard(blob_path(tenant, digest))

    def manifest_deleted(self, tenant: str, chart: str, reference: str) -> None:
        """A manifest DELETE answered 202: the version, its provenance file and its pushed
        manifest are gone."""
        if is_digest(reference):
            known = _BY_DIGEST.get(reference)
            if known is None or known.chart != chart:
                self.unexplained.append(f"deleted {chart}@{reference}: not a pushed manifest")
                return
            version = known.version
        else:
            version = reference.replace("_", "+")
        self.deleted(tenant, chart, version)
        self.registry.discard(sidecar_path(tenant, chart, version))

    def expected_registry(self) -> tuple[set[str], set[str]]:
        """Registry objects that must exist, and those that may."""
        return set(self.registry), set(self.registry_maybe)

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
            f"{len(self.failures)}; uploads answered 201: {self.uploads - self.pushes}; "
            f"registry pushes answered 201: {self.pushes}; registry writes acknowledged: "
            f"{self.registry_writes}; "
            f"storage: {self.storage_checked}"
        )

    def details(self, limit: int = 20) -> list[str]:
        """One line per failed check (at most ``limit``)."""
        failed = [f"FAILED: {f.request} -> {f.status} {f.body[:200]!r}: {f.problem}"
                  for f in self.failures[:limit]]  # fmt: skip
        return failed + [f"UNEXPLAINED: {line}" for line in self.unexplained[:limit]]


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
    """Every file under the storage root, as ``<tenant>/<name>`` (registry objects as
    ``<tenant>/.oci/...``), state files aside."""
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            if name != STATEFILE:
                found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


LEDGER = Ledger()
