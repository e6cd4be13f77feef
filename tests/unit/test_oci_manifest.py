"""Helm's OCI manifest: derived manifests are stable, pushed ones are checked (app/oci/manifest.py)."""

from __future__ import annotations

import hashlib
import json

import pytest

from app.errors import ManifestInvalid
from app.index.build import UrlScheme
from app.index.build import entry_from_package
from app.oci import manifest as m
from tests.helpers import make_chart
from tests.helpers import make_prov

CHART = make_chart("web", "1.2.3", description="a web app", appVersion="9.9", home="https://x.io")
PROV = make_prov("web", "1.2.3")


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry(content: bytes = CHART, mtime_ns: int = 1_700_000_000_123_456_789):
    return entry_from_package("web-1.2.3.tgz", content, mtime_ns, UrlScheme())


def helm_manifest(chart: bytes = CHART, config: bytes = b"{}", prov: bytes | None = None) -> dict:
    layers = [{"mediaType": m.CHART_TYPE, "digest": sha(chart), "size": len(chart)}]
    if prov is not None:
        layers.append({"mediaType": m.PROV_TYPE, "digest": sha(prov), "size": len(prov)})
    return {
        "schemaVersion": 2,
        "mediaType": m.MANIFEST_TYPE,
        "config": {"mediaType": m.CONFIG_TYPE, "digest": sha(config), "size": len(config)},
        "layers": layers,
    }


def encode(body: dict) -> bytes:
    return json.dumps(body).encode()


def test_derived_manifest_is_stable_and_describes_the_package() -> None:
    first, config = m.derive(entry(), None)
    again, config_again = m.derive(entry(), None)
    assert first.data == again.data and config == config_again
    assert first.digest == sha(first.data)
    body = json.loads(first.data)
    assert body["schemaVersion"] == 2 and body["mediaType"] == m.MANIFEST_TYPE
    assert body["layers"] == [{"mediaType": m.CHART_TYPE, "digest": sha(CHART), "size": len(CHART)}]
    assert body["config"] == {
        "mediaType": m.CONFIG_TYPE,
        "digest": sha(config),
        "size": len(config),
    }
    notes = body["annotations"]
    assert notes["org.opencontainers.image.title"] == "web"
    assert notes["org.opencontainers.image.version"] == "1.2.3"
    assert notes["org.opencontainers.image.description"] == "a web app"
    assert notes["org.opencontainers.image.url"] == "https://x.io"
    assert notes["org.opencontainers.image.created"].startswith("2023-11-14T22:13:20.123456789")
    # the config is the Chart.yaml metadata, without the repository's own fields
    meta = json.loads(config)
    assert meta == {
        "name": "web",
        "home": "https://x.io",
        "version": "1.2.3",
        "description": "a web app",
        "apiVersion": "v2",
        "appVersion": "9.9",
    }
    assert list(meta)[:2] == ["name", "home"]  # Helm's (Go struct) key order
    # a derived manifest passes the checks of a pushed one
    parsed = m.parse(first.data, m.MANIFEST_TYPE)
    assert (parsed.config, parsed.chart, parsed.prov) == (first.config, first.chart, None)


def test_derived_manifest_with_provenance() -> None:
    plain, _ = m.derive(entry(), None)
    signed, _ = m.derive(entry(), PROV)
    assert signed.data == m.derive(entry(), PROV)[0].data
    assert signed.digest != plain.digest
    assert signed.prov == m.Descriptor(m.PROV_TYPE, sha(PROV), len(PROV))
    assert [d.media_type for d in signed.layers()] == [m.CHART_TYPE, m.PROV_TYPE]
    assert m.parse(signed.data, "").prov == signed.prov


def test_derived_manifest_changes_with_the_package() -> None:
    other = make_chart("web", "1.2.3", description="changed")
    assert m.derive(entry(other), None)[0].digest != m.derive(entry(), None)[0].digest
    # the time of the stored object is part of it (created), nothing else
    later = m.derive(entry(mtime_ns=1_800_000_000_000_000_000), None)[0]
    assert later.digest != m.derive(entry(), None)[0].digest
    assert later.chart == m.derive(entry(), None)[0].chart


def test_parse_a_helm_manifest() -> None:
    body = helm_manifest(prov=PROV)
    parsed = m.parse(encode(body), "application/vnd.oci.image.manifest.v1+json; charset=utf-8")
    assert parsed.chart.digest == sha(CHART)
    assert parsed.prov is not None and parsed.prov.digest == sha(PROV)
    assert parsed.data == encode(body)  # kept byte for byte
    del body["mediaType"]  # optional in the manifest
    assert m.parse(encode(body), "").media_type == m.MANIFEST_TYPE
    body["layers"][0]["mediaType"] = m.LEGACY_CHART_TYPE  # Helm 3.0-3.6
    assert m.parse(encode(body), "").chart.media_type == m.LEGACY_CHART_TYPE


def _broken() -> list[tuple[str, object]]:
    docker_config = helm_manifest()
    docker_config["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json"
    index = helm_manifest()
    index["mediaType"] = "application/vnd.oci.image.index.v1+json"
    two_charts = helm_manifest()
    two_charts["layers"] *= 2
    two_provs = helm_manifest(prov=PROV)
    two_provs["layers"].append(two_provs["layers"][1])
    no_chart = helm_manifest(prov=PROV)
    del no_chart["layers"][0]
    image_layer = helm_manifest()
    image_layer["layers"].append(
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(b""), "size": 0}
    )
    cases: list[tuple[str, object]] = [
        ("not json", b"{"),
        ("not utf-8", b"\xff\xfe"),
        ("a list", b"[]"),
        ("schema 1", encode({**helm_manifest(), "schemaVersion": 1})),
        ("no schema", encode({k: v for k, v in helm_manifest().items() if k != "schemaVersion"})),
        ("image config", encode(docker_config)),
        ("index", encode(index)),
        ("two charts", encode(two_charts)),
        ("two provs", encode(two_provs)),
        ("no chart", encode(no_chart)),
        ("image layer", encode(image_layer)),
        ("layers null", encode({**helm_manifest(), "layers": None})),
        ("config missing", encode({k: v for k, v in helm_manifest().items() if k != "config"})),
    ]
    for field, value in (("size", -1), ("size", True), ("size", "3"), ("digest", "sha256:xyz")):
        body = helm_manifest()
        body["layers"][0][field] = value
        cases.append((f"layer {field}={value!r}", encode(body)))
    body = helm_manifest()
    del body["config"]["digest"]
    cases.append(("config without digest", encode(body)))
    return cases


@pytest.mark.parametrize("what, data", _broken(), ids=[c[0] for c in _broken()])
def test_parse_refuses(what, data) -> None:
    with pytest.raises(ManifestInvalid):
        m.parse(data, "")


def test_parse_refuses_other_content_types() -> None:
    data = encode(helm_manifest())
    for content_type in (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ):
        with pytest.raises(ManifestInvalid):
            m.parse(data, content_type)


def test_too_large_manifest_is_413() -> None:
    body = helm_manifest()
    body["annotations"] = {"pad": "x" * m.MAX_MANIFEST_BYTES}
    with pytest.raises(m.ManifestTooLarge) as caught:
        m.parse(encode(body), "")
    assert caught.value.status_code == 413
