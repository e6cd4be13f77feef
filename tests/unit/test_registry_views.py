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
