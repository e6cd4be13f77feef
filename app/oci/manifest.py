"""Helm's OCI manifest: media types, the manifest derived from a stored package, and the
checks a pushed manifest must pass."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.errors import ManifestInvalid
from app.errors import SizeInvalid
from app.gocompat.json_encoding import go_json
from app.index.entry import IndexEntry
from app.oci.names import check_digest
from app.oci.names import digest_of

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json"
CHART_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
LEGACY_CHART_TYPE = "application/tar+gzip"  # Helm 3.0-3.6 experimental OCI support
PROV_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
#: manifests are small; the distribution registry refuses those above 4 MiB as well
MAX_MANIFEST_BYTES = 4 << 20
#: the index fields that are not Chart.yaml metadata
_NOT_METADATA = ("urls", "created", "removed", "digest")


class ManifestTooLarge(SizeInvalid):
    """The spec: a manifest over the registry's limit is ``413 Payload Too Large``."""

    status_code, message = 413, f"manifest larger than {MAX_MANIFEST_BYTES} bytes"


@dataclass(frozen=True)
class Descriptor:
    """A blob a manifest references."""

    media_type: str
    digest: str
    size: int

    def to_json(self) -> dict[str, Any]:
        """The descriptor object, keys in the spec's order."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class ChartManifest:
    """A manifest of one chart version and the blobs it names."""

    data: bytes
    media_type: str
    config: Descriptor
    chart: Descriptor
    prov: Descriptor | None

    @property
    def digest(self) -> str:
        """The manifest's own digest."""
        return digest_of(self.data)

    def layers(self) -> list[Descriptor]:
        """The chart layer, then the provenance layer when there is one."""
        return [self.chart] if self.prov is None else [self.chart, self.prov]


def config_blob(entry: IndexEntry) -> bytes:
    """The config blob of a stored version: its Chart.yaml metadata as JSON (the index
    record without the repository's own fields)."""
    record = {k: v for k, v in entry.record().items() if k not in _NOT_METADATA}
    return go_json(record)


def derive(entry: IndexEntry, prov: bytes | None) -> tuple[ChartManifest, bytes]:
    """The manifest of a version uploaded without one, and its config blob. Stable: the
    same package (and provenance file) always gives the same bytes."""
    config = config_blob(entry)
    record = entry.record()
    annotations = {
        "org.opencontainers.image.created": record.get("created", ""),
        "org.opencontainers.image.description": record.get("description", ""),
        "org.opencontainers.image.title": entry.name,
        "org.opencontainers.image.version": entry.version,
    }
    if record.get("home"):
        annotations["org.opencontainers.image.url"] = record["home"]
    config_d = Descriptor(CONFIG_TYPE, digest_of(config), len(config))
    chart_d = Descriptor(CHART_TYPE, "sha256:" + entry.digest, entry.size)
    prov_d = Descriptor(PROV_TYPE, digest_of(prov), len(prov)) if prov is not None else None
    layers = [d.to_json() for d in ([chart_d] if prov_d is None else [chart_d, prov_d])]
    body = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": config_d.to_json(),
        "layers": layers,
        "annotations": annotations,
    }
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return ChartManifest(data, MANIFEST_TYPE, config_d, chart_d, prov_d), config


def parse(data: bytes, content_type: str) -> ChartManifest:
    """A pushed manifest, when it is a Helm chart's. :raises ManifestInvalid:"""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge()
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestInvalid(f"manifest is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise ManifestInvalid("manifest is nested too deeply") from exc
    if not isinstance(body, dict) or body.get("schemaVersion") != 2:
        raise ManifestInvalid("manifest must be an object with schemaVersion 2")
    media_type = _media_type(body, content_type)
    config = _descriptor(body.get("config"), "config")
    if config.media_type != CONFIG_TYPE:
        raise ManifestInvalid(f"config media type {config.media_type} is not a Helm chart's")
    layers = body.get("layers")
    if not isinstance(layers, list):
        raise ManifestInvalid("manifest layers must be a list")
    chart, prov = _layers([_descriptor(item, "layer") for item in layers])
    return ChartManifest(data, media_type, config, chart, prov)


def _media_type(body: dict[str, Any], content_type: str) -> str:
    declared = body.get("mediaType")
    header = content_type.split(";")[0].strip()
    if declared is not None and declared != MANIFEST_TYPE:
        raise ManifestInvalid(f"manifest media type {declared} is not supported")
    if header and header != MANIFEST_TYPE:
        raise ManifestInvalid(f"manifest media type {header} is not supported")
    return MANIFEST_TYPE


def _descriptor(item: Any, what: str) -> Descriptor:
    if not isinstance(item, dict):
        raise ManifestInvalid(f"manifest {what} must be an object")
    media_type, digest, size = item.get("mediaType"), item.get("digest"), item.get("size")
    if not isinstance(media_type, str) or not isinstance(digest, str):
        raise ManifestInvalid(f"manifest {what} needs a mediaType and a digest")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestInvalid(f"manifest {what} needs a non-negative size")
    try:
        check_digest(digest)
    except Exception as exc:
        raise ManifestInvalid(f"manifest {what} digest {digest[:140]} is invalid") from exc
    return Descriptor(media_type, digest, size)


def _layers(layers: list[Descriptor]) -> tuple[Descriptor, Descriptor | None]:
    charts = [d for d in layers if d.media_type in (CHART_TYPE, LEGACY_CHART_TYPE)]
    provs = [d for d in layers if d.media_type == PROV_TYPE]
    if len(charts) != 1 or len(provs) > 1 or len(charts) + len(provs) != len(layers):
        raise ManifestInvalid(
            f"a Helm chart manifest has one {CHART_TYPE} layer and at most one {PROV_TYPE} layer"
        )
    return charts[0], provs[0] if provs else None
