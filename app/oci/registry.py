"""Registry operations on a tenant's charts: manifests, blobs, tags, pushes and deletes.

Pushes and deletes go through :class:`app.repository.Repository`, so a chart pushed here
passes every check of an API upload and is in the tenant's next ``index.yaml``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass

from app.cache import RecentMemo
from app.errors import BadRequest
from app.errors import BlobUnknown
from app.errors import Conflict
from app.errors import Denied
from app.errors import ManifestBlobUnknown
from app.errors import ManifestInvalid
from app.errors import ManifestUnknown
from app.errors import NameUnknown
from app.errors import storage_failure
from app.index.entry import IndexEntry
from app.oci import layout
from app.oci import manifest as manifests
from app.oci.manifest import ChartManifest
from app.oci.manifest import Descriptor
from app.oci.names import RegistryName
from app.oci.names import check_digest
from app.oci.names import check_tag
from app.oci.names import is_digest
from app.oci.names import matches
from app.oci.names import parse_name
from app.oci.names import tag_of
from app.oci.staging import Staging
from app.repository import Pending
from app.repository import Repository
from app.repository import parse_chart
from app.repository import parse_prov
from app.tenancy import storage_path
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageError

#: the memo's namespace for manifests (bump when :func:`manifests.derive` changes)
_MEMO = "oci2"


@dataclass(frozen=True)
class VersionManifest:
    """The manifest of one stored chart version, with its config blob."""

    entry: IndexEntry
    manifest: ChartManifest
    config: bytes


@dataclass(frozen=True)
class Blob:
    """Where a blob's bytes are: ``data`` in memory, or the storage object ``path`` (and
    its local ``file``, sent by the kernel, when the store has files)."""

    digest: str
    size: int
    data: bytes | None = None
    path: str = ""
    file: str | None = None


class Registry:
    """The registry over one repository (backend + index), with its upload staging."""

    def __init__(self, repository: Repository, staging: Staging, depth: int, dynamic: bool):
        self.repository = repository
        self.staging = staging
        self._manifests: RecentMemo[VersionManifest] = RecentMemo(repository.cache)
        self.depth = depth
        self.dynamic = dynamic

    def name(self, name: str) -> RegistryName:
        """The tenant and chart a repository name stands for. :raises NameInvalid:"""
        return parse_name(name, self.depth, self.dynamic)

    # -- reads -------------------------------------------------------------------------------
    def versions(self, name: RegistryName) -> list[IndexEntry]:
        """The chart's versions, newest first. :raises NameUnknown: when it has none."""
        self.repository.check_chart(name.tenant, name.chart)
        entries = self.repository.index(name.tenant).visible(name.chart)
        if not entries:
            raise NameUnknown(f"repository name not known to registry: {name.name}")
        return entries

    def tags(self, name: RegistryName) -> list[str]:
        """Every tag (chart version, ``+`` as ``_``), in lexical order."""
        return sorted(tag_of(e.version) for e in self.versions(name))

    def manifest(self, name: RegistryName, reference: str) -> VersionManifest:
        """The manifest of a tag or digest. :raises ManifestUnknown:"""
        entries = self.versions(name)
        if not is_digest(reference):
            check_tag(reference)
            for entry in entries:
                if tag_of(entry.version) == reference:
                    return self.of_version(name, entry)
            raise ManifestUnknown(f"manifest unknown: {name.name}:{reference}")
        # manifests are stored by sha256; another algorithm is checked against the bytes
        other = not check_digest(reference).startswith("sha256:")
        for found in self._all(name, entries):
            if found.manifest.digest == reference or (
                other and matches(found.manifest.data, reference)
            ):
                return found
        raise ManifestUnknown(f"manifest unknown: {name.name}@{reference}")

    def of_version(self, name: RegistryName, entry: IndexEntry) -> VersionManifest:
        """The pushed manifest of a version when it still describes the stored package,
        else the one derived from the package (memoized)."""
        pushed_path = layout.manifest(name.tenant, name.chart, tag_of(entry.version))
        prov_path = storage_path(name.tenant, entry.filename + ".prov")
        pushed, prov = self._stat(pushed_path), self._stat(prov_path)
        key = f"{_MEMO}:{name.tenant}:{entry.filename}:{entry.digest}"
        key += f":{_token(pushed)}:{_token(prov)}"

        def compute() -> VersionManifest:
            prov_bytes = self._read(prov_path) if prov is not None else None
            if pushed is not None:
                found = self._pushed(entry, pushed_path, prov_bytes)
                if found is not None:
                    return found
            sized = self._sized(name, entry)
            derived, config = manifests.derive(sized, prov_bytes)
            return VersionManifest(sized, derived, config)

        return self._manifests.get(key, compute)

    def _sized(self, name: RegistryName, entry: IndexEntry) -> IndexEntry:
        """``entry`` with its package's size: entries loaded from a ChartMuseum state file
        (``index-cache.yaml``, which has no sizes) say -1. :raises ManifestUnknown:"""
        if entry.size >= 0:
            return entry
        info = self._stat(storage_path(name.tenant, entry.filename))
        if info is None:
            raise ManifestUnknown(f"manifest unknown: {name.name}:{tag_of(entry.version)}")
        return dataclasses.replace(entry, size=info.size)

    def blob(self, name: RegistryName, digest: str) -> Blob:
        """A blob of the chart's versions, or one uploaded to the tenant. :raises BlobUnknown:"""
        check_digest(digest)
        staged = self.staging.blob_info(name.tenant, digest)
        if staged is not None:
            path, file = (
                layout.blob(name.tenant, digest),
                self.staging.blob_file(name.tenant, digest),
            )
            return Blob(digest, staged.size, path=path, file=file)
        with contextlib.suppress(NameUnknown):
            found = self._stored_blob(name, digest)
            if found is not None:
                return found
        raise BlobUnknown(f"blob unknown to registry: {digest}")

    def _stored_blob(self, name: RegistryName, digest: str) -> Blob | None:
        entries = self.versions(name)
        for entry in entries:
            if digest == "sha256:" + entry.digest:
                with contextlib.suppress(ManifestUnknown):
                    entry = self._sized(name, entry)
                return self._package(name.tenant, entry.filename, digest, entry.size)
        for found in self._all(name, entries):
            if found.manifest.config.digest == digest:
                return Blob(digest, len(found.config), data=found.config)
            prov = found.manifest.prov
            if prov is not None and prov.digest == digest:
                path = storage_path(name.tenant, found.entry.filename + ".prov")
                return Blob(digest, prov.size, path=path)
        return None

    def _package(self, tenant: str, filename: str, digest: str, size: int) -> Blob:
        path = storage_path(tenant, filename)
        return Blob(digest, size, path=path, file=self.repository.backend.local_file(path))

    def read(self, blob: Blob) -> bytes:
        """A blob's bytes. :raises BlobUnknown: when it went away meanwhile."""
        if blob.data is not None:
            return blob.data
        try:
            return self._read(blob.path)
        except ObjectNotFound as exc:
            raise BlobUnknown(f"blob unknown to registry: {blob.digest}") from exc

    def _all(self, name: RegistryName, entries: list[IndexEntry]) -> Iterator[VersionManifest]:
        for entry in entries:
            yield self.of_version(name, entry)

    def _pushed(self, entry: IndexEntry, path: str, prov: bytes | None) -> VersionManifest | None:
        try:
            record = json.loads(self._read(path))
            data = base64.b64decode(record["manifest"])
            config = base64.b64decode(record["config"])
            found = manifests.parse(data, "")
        except (ValueError, KeyError, TypeError, ManifestInvalid, ObjectNotFound):
            return None
        if found.chart.digest != "sha256:" + entry.digest:
            return None  # the package was replaced since (through the API, or by hand)
        if (found.prov is None) != (prov is None):
            return None
        if found.prov is not None and prov is not None and not matches(prov, found.prov.digest):
            return None
        return VersionManifest(entry, found, config)

    # -- pushes and deletes ------------------------------------------------------------------------
    def put_manifest(
        self, name: RegistryName, reference: str, data: bytes, content_type: str
    ) -> ChartManifest:
        """Store a pushed chart: its package (and provenance) as an API upload would, then
        the manifest itself. :raises RegistryError: with the spec's code."""
        pushed = manifests.parse(data, content_type)
        if is_digest(reference):
            if not matches(data, check_digest(reference)):
                raise_digest(reference)
        else:
            check_tag(reference)
        chart = self._blob_for(name, pushed.chart)
        config = self._blob_for(name, pushed.config)
        prov = self._blob_for(name, pushed.prov) if pushed.prov is not None else None
        package = self._check_chart(name, reference, chart, config)
        files = [package] + ([self._check_prov(package, prov)] if prov is not None else [])
        if prov is None and self._stat(storage_path(name.tenant, package.filename + ".prov")):
            # the version would keep being served with its provenance layer: the pushed
            # manifest could never be pulled by its digest
            raise Denied(
                f"{package.filename} has a provenance file: push it with its provenance layer"
            )
        self._save(name.tenant, files)
        version = package.metadata["version"] if package.metadata else ""
        self._keep(name, tag_of(version), pushed, config)
        used = [d.digest for d in (pushed.chart, pushed.config, pushed.prov) if d is not None]
        self.staging.discard(name.tenant, used)
        return pushed

    def delete_manifest(self, name: RegistryName, reference: str) -> None:
        """Delete the chart version a tag or digest names, as the API's DELETE does."""
        found = self.manifest(name, reference)
        self.repository.delete(name.tenant, name.chart, found.entry.version)
        with contextlib.suppress(StorageError):
            tag = tag_of(found.entry.version)
            self.repository.backend.delete_object(layout.manifest(name.tenant, name.chart, tag))

    def _blob_for(self, name: RegistryName, descriptor: Descriptor) -> bytes:
        data = self.staging.read_blob(name.tenant, descriptor.digest)
        if data is not None and not matches(data, descriptor.digest):
            data = None  # staged blobs are not flushed: a crash may have damaged this one
        if data is None:
            with contextlib.suppress(BlobUnknown, NameUnknown):
                found = self._stored_blob(name, descriptor.digest)
                data = self.read(found) if found is not None else None
        if data is None:
            raise ManifestBlobUnknown(f"manifest references an unknown blob: {descriptor.digest}")
        if len(data) != descriptor.size:
            raise ManifestInvalid(
                f"blob {descriptor.digest} has {len(data)} bytes, not {descriptor.size}"
            )
        return data

    @staticmethod
    def _check_chart(name: RegistryName, reference: str, chart: bytes, config: bytes) -> Pending:
        try:
            package = parse_chart(chart)
        except BadRequest as exc:
            raise ManifestInvalid(f"the chart layer is not a valid chart: {exc.text}") from exc
        meta = package.metadata or {}
        if meta.get("name") != name.chart:
            raise ManifestInvalid(f"chart {meta.get('name')} cannot be pushed to {name.name}")
        version = str(meta.get("version", ""))
        if not is_digest(reference) and reference != tag_of(version):
            raise ManifestInvalid(f"tag {reference} is not the chart's version {version}")
        try:
            declared = json.loads(config)
        except ValueError as exc:
            raise ManifestInvalid("the config blob is not JSON") from exc
        if not isinstance(declared, dict):
            raise ManifestInvalid("the config blob is not a JSON object")
        for key, value in (("name", name.chart), ("version", version)):
            if declared.get(key, value) != value:
                raise ManifestInvalid(f"the config blob's {key} is not the chart's")
        return package

    def _save(self, tenant: str, files: list[Pending]) -> None:
        """Store what is not stored yet with these very bytes (a repeated push stores
        nothing). :raises Conflict: for a version stored with other bytes."""
        for attempt in (1, 2):
            left = [f for f in files if not self._stored_as(tenant, f)]
            if not left:
                return
            try:
                self.repository.save(tenant, left, False, "chart version already exists")
                return
            except Conflict:
                # an identical push may have stored it meanwhile: look again, once
                if attempt == 2:
                    raise

    @staticmethod
    def _check_prov(package: Pending, prov: bytes) -> Pending:
        """The provenance layer as a file to store: it must sign this very package."""
        try:
            item = parse_prov(prov)
        except BadRequest as exc:
            raise ManifestInvalid(f"the provenance layer is invalid: {exc.text}") from exc
        if item.filename != package.filename + ".prov":
            raise ManifestInvalid(f"the provenance layer is not {package.filename}'s")
        return item

    def _stored_as(self, tenant: str, item: Pending) -> bool:
        """Whether ``item`` is already stored with these very bytes (a repeated push)."""
        path = storage_path(tenant, item.filename)
        info = self._stat(path)
        if info is None or info.size != len(item.content):
            return False
        try:
            return self._read(path) == item.content
        except ObjectNotFound:
            return False

    def _keep(self, name: RegistryName, tag: str, pushed: ChartManifest, config: bytes) -> None:
        record = {
            "manifest": base64.b64encode(pushed.data).decode(),
            "config": base64.b64encode(config).decode(),
        }
        path = layout.manifest(name.tenant, name.chart, tag)
        data = json.dumps(record).encode()
        try:
            if self._unchanged(path, data):  # Helm pushes by digest, then by tag
                return
            self.repository.backend.put_object(path, data)
        except StorageError as exc:
            raise storage_failure(exc) from exc

    def _unchanged(self, path: str, data: bytes) -> bool:
        """Whether the object at ``path`` already holds ``data``."""
        info = self.repository.backend.stat_object(path)
        if info is None or info.size != len(data):
            return False
        try:
            return self.repository.backend.get_object(path).content == data
        except ObjectNotFound:
            return False

    # -- storage -------------------------------------------------------------------------------
    def _stat(self, path: str) -> ObjectInfo | None:
        try:
            return self.repository.backend.stat_object(path)
        except StorageError as exc:
            raise storage_failure(exc) from exc

    def _read(self, path: str) -> bytes:
        try:
            return self.repository.backend.get_object(path).content
        except ObjectNotFound:
            raise
        except StorageError as exc:
            raise storage_failure(exc) from exc


def raise_digest(reference: str) -> None:
    """:raises DigestInvalid: for a manifest whose bytes do not have ``reference``."""
    from app.errors import DigestInvalid

    raise DigestInvalid(f"the manifest does not have digest {reference}")


def _token(info: ObjectInfo | None) -> str:
    return "-" if info is None else f"{info.last_modified_ns}.{info.size}"
