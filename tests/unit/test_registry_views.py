"""Registry views on inputs the fuzz found: answered as client errors, never 5xx."""

from __future__ import annotations

import hashlib

import pytest

from tests.helpers import make_chart


@pytest.fixture
def registry(make_app):
    app = make_app(depth=1)
    client = app.test_client()
    chart = make_chart("web", "0.1.0")
    assert client.post("/api/org1/charts", data=chart).status_code == 201
    return client


@pytest.mark.parametrize("n", ["\u00b2", "\u0663", "-1", "1.5", " 1"])
@pytest.mark.parametrize("path", ["/v2/_catalog", "/v2/org1/web/tags/list"])
def test_a_page_size_that_is_no_ascii_number_is_a_client_error(registry, path, n) -> None:
    response = registry.get(path, query_string={"n": n})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "UNSUPPORTED"


def test_a_manifest_nested_too_deeply_is_invalid(registry) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = registry.put(
        "/v2/org1/web/manifests/0.1.0",
        data=body,
        content_type="application/vnd.oci.image.manifest.v1+json",
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "MANIFEST_INVALID"


def test_a_mount_from_a_name_the_storage_cannot_hold_falls_back_to_an_upload(registry) -> None:
    digest = "sha256:" + hashlib.sha256(make_chart("web", "0.1.0")).hexdigest()
    source = "org1/" + "x" * 300
    response = registry.post(
        "/v2/org1/web/blobs/uploads/", query_string={"mount": digest, "from": source}
    )
    assert response.status_code == 202
    assert response.headers["Location"].startswith("/v2/org1/web/blobs/uploads/")


def test_a_staged_blob_damaged_since_its_upload_is_refused_and_nothing_is_stored(
    make_app, storage
) -> None:
    """Staged blobs are written without fsync: a crash may damage one, the digest tells."""
    import json
    import os

    from app.oci import layout

    client = make_app(depth=1).test_client()
    chart, config = make_chart("web", "0.2.0"), b'{"name":"web","version":"0.2.0"}'
    for blob in (chart, config):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        response = client.post(  # the single-POST upload
            "/v2/org1/web/blobs/uploads/",
            query_string={"digest": digest},
            data=blob,
            content_type="application/octet-stream",
        )
        assert response.status_code == 201, response.data
    damaged = os.path.join(
        storage, layout.blob("org1", "sha256:" + hashlib.sha256(chart).hexdigest())
    )
    with open(damaged, "r+b") as fh:
        fh.write(b"\0" * 16)
    layer = {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
             "digest": "sha256:" + hashlib.sha256(chart).hexdigest(), "size": len(chart)}  # fmt: skip
    manifest = {"schemaVersion": 2, "layers": [layer],
                "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                           "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                           "size": len(config)}}  # fmt: skip
    response = client.put(
        "/v2/org1/web/manifests/0.2.0",
        data=json.dumps(manifest),
        content_type="application/vnd.oci.image.manifest.v1+json",
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    assert not os.path.exists(os.path.join(storage, "org1", "web-0.2.0.tgz"))
