"""Names the storage cannot hold or keeps for itself are refused with 400 before any I/O;
name clashes between tenants and files are 409; no answer quotes the storage location."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
from flask.testing import FlaskClient

from backends.alibaba import AlibabaOSSBackend
from backends.amazon import AmazonS3Backend
from backends.base import InvalidName
from backends.base import StorageBackend
from backends.local import LocalFilesystemBackend
from backends.tencent import TencentCOSBackend
from tests.helpers import make_chart
from tests.helpers import make_prov

LONG = "x" * 300


def _error(response: Any, storage: str) -> str:
    assert storage not in response.get_data(as_text=True)
    return str(json.loads(response.data)["error"])


def test_long_chart_name_and_version_are_400(client: FlaskClient, storage: str) -> None:
    by_name = client.post("/api/charts", data=make_chart("n" * 260, "1.0.0"))
    assert by_name.status_code == 400
    assert "too long" in _error(by_name, storage)
    by_version = client.post("/api/charts", data=make_chart("web", "1.0.0+" + "a" * 300))
    assert by_version.status_code == 400
    assert "too long" in _error(by_version, storage)
    assert os.listdir(storage) == [".chartmuseum"]


def test_prov_name_must_fit_too(client: FlaskClient, storage: str) -> None:
    name = "n" * (255 - len("-1.0.0.tgz"))  # the package fits, its .prov would not
    response = client.post("/api/charts", data=make_chart(name, "1.0.0"))
    assert response.status_code == 400 and ".prov" not in _error(response, storage)


def test_long_delete_segment_is_400_without_the_storage_path(make_app, storage: str) -> None:
    client = make_app(depth=2).test_client()
    response = client.delete(f"/api/org1/repoa/charts/{LONG}/1.0.0")
    assert response.status_code == 400
    assert "too long" in _error(response, storage)


@pytest.mark.parametrize(
    "path",
    [
        f"/{LONG}/repoa/index.yaml",
        f"/org1/{LONG}/charts/web-1.0.0.tgz",
        f"/org1/repoa/charts/{LONG}.tgz",
        f"/api/org1/repoa/charts/{LONG}",
        f"/api/org1/repoa/charts/{LONG}/1.0.0",
        f"/api/org1/repoa/charts/{LONG}/1.0.0/values",
        f"/api/{LONG}/repoa/charts",
    ],
)
def test_long_get_segments_are_400(make_app, storage: str, path: str) -> None:
    response = make_app(depth=2).test_client().get(path)
    assert response.status_code == 400
    assert "too long" in _error(response, storage)


def test_whole_path_limit_is_the_file_systems(make_app, storage: str) -> None:
    tenant = "/".join(["t" * 200] * 25)  # each segment fits, the whole path does not
    client = make_app(depth_dynamic=True).test_client()
    response = client.get(f"/{tenant}/index.yaml")
    assert response.status_code == 400
    assert "too long" in _error(response, storage)


def test_names_the_backend_hides_are_refused(client: FlaskClient, storage: str) -> None:
    response = client.post("/api/charts", data=make_chart(".cm-tmp-x", "1.0.0"))
    assert response.status_code == 400
    assert "reserved" in _error(response, storage)
    assert client.get("/charts/.cm-tmp-x-1.0.0.tgz").status_code == 400


def test_state_file_name_is_not_a_tenant(make_app, storage: str) -> None:
    client = make_app(depth_dynamic=True).test_client()
    response = client.post("/api/index-cache.yaml/charts", data=make_chart())
    assert response.status_code == 400
    assert "reserved" in _error(response, storage)


def test_tenant_named_like_a_stored_file_is_409(make_app, storage: str) -> None:
    client = make_app(depth_dynamic=True).test_client()
    assert client.post("/api/charts", data=make_chart("web", "0.1.0")).status_code == 201
    response = client.post("/api/web-0.1.0.tgz/charts", data=make_chart("web", "0.1.0"))
    assert response.status_code == 409
    assert "clashes" in _error(response, storage)
    assert client.get("/web-0.1.0.tgz/index.yaml").status_code == 200


@pytest.mark.parametrize("query", ["", "?force"])
def test_file_named_like_a_tenant_is_409(make_app, storage: str, query: str) -> None:
    client = make_app(depth_dynamic=True).test_client()
    assert client.post("/api/web-0.2.0.tgz/charts", data=make_chart()).status_code == 201
    response = client.post(f"/api/charts{query}", data=make_chart("web", "0.2.0"))
    assert response.status_code == 409
    assert "clashes" in _error(response, storage)


def test_local_backend_reports_clashes_made_by_hand(make_app, storage: str) -> None:
    os.makedirs(os.path.join(storage, "web-0.3.0.tgz"))  # fixed depth: no up-front check
    client = make_app().test_client()
    response = client.post("/api/charts?force", data=make_chart("web", "0.3.0"))
    assert response.status_code == 409
    assert "same name" in _error(response, storage)


def test_first_chart_field_wins(client: FlaskClient, storage: str) -> None:
    data = {
        "chart": [
            (io.BytesIO(make_chart("first", "1.0.0")), "a.tgz"),
            (io.BytesIO(make_chart("second", "1.0.0")), "b.tgz"),
        ],
        "prov": [
            (io.BytesIO(make_prov("first", "1.0.0")), "a.prov"),
            (io.BytesIO(make_prov("second", "1.0.0")), "b.prov"),
        ],
    }
    assert client.post("/api/charts", data=data).status_code == 201
    stored = sorted(n for n in os.listdir(storage) if not n.startswith("."))
    assert stored == ["first-1.0.0.tgz", "first-1.0.0.tgz.prov"]


@pytest.mark.parametrize("body", [b"", b"garbage", b"\x1f\x8b\x08\x00 not a prov", LONG.encode()])
@pytest.mark.parametrize("route", ["/api/prov", "/api/org1/prov"])
def test_garbage_provenance_is_400(make_app, storage: str, body: bytes, route: str) -> None:
    client = make_app(depth_dynamic=True).test_client()
    response = client.post(route, data=body)
    assert response.status_code == 400
    assert _error(response, storage) == "invalid provenance file"


def test_backends_declare_their_key_limits() -> None:
    assert AmazonS3Backend.max_key_bytes == 1024
    assert AlibabaOSSBackend.max_key_bytes == 1023
    assert TencentCOSBackend.max_key_bytes == 850
    assert LocalFilesystemBackend.reserved_prefixes == (".cm-tmp-",)


class _Named(StorageBackend):
    """Only the naming rules of the base class."""

    from_config = list_objects = get_object = put_object = delete_object = None  # type: ignore


def test_check_name_counts_the_prefix_and_refuses_control_characters() -> None:
    backend = _Named()
    backend.prefix = "p" * 1000
    backend.check_name("a" * 23)  # "p...p/" + 23 = 1024 bytes
    with pytest.raises(InvalidName, match="too long"):
        backend.check_name("a" * 24)
    with pytest.raises(InvalidName, match="control"):
        _Named().check_name("a\x01b")


def test_local_errors_never_name_the_root(tmp_path) -> None:
    backend = LocalFilesystemBackend(str(tmp_path))
    with pytest.raises(InvalidName) as caught:
        backend.get_object("x" * 300)
    assert str(tmp_path) not in str(caught.value)
