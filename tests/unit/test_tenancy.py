"""Many tenants: --depth N and --depth-dynamic, isolation, and refused tenant paths."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading

import pytest

from app.errors import BadRequest
from app.index.persisted import state_root
from app.tenancy import check_repo
from app.tenancy import storage_path
from tests.helpers import make_chart


@pytest.mark.parametrize("depth, repo", [(1, "org1"), (2, "org1/repoa"), (3, "org1/team1/repo1")])
def test_fixed_depth_routes(make_app, storage: str, depth: int, repo: str) -> None:
    client = make_app(depth=depth, artifact_hub_repo_id={repo: "id-1"}).test_client()
    assert client.post(f"/api/{repo}/charts", data=make_chart()).status_code == 201
    assert os.path.exists(os.path.join(storage, repo, "mychart-0.1.0.tgz"))
    assert b"mychart:" in client.get(f"/{repo}/index.yaml").data
    assert client.head(f"/{repo}/index.yaml").status_code == 200
    assert client.get(f"/{repo}/charts/mychart-0.1.0.tgz").status_code == 200
    assert client.get(f"/api/{repo}/charts/mychart/latest").status_code == 200
    assert client.get(f"/api/{repo}/charts/mychart/0.1.0/values").status_code == 200
    assert client.get(f"/{repo}/artifacthub-repo.yml").data == b"repositoryID: id-1\n"
    assert client.delete(f"/api/{repo}/charts/mychart/0.1.0").status_code == 200
    for path in ("/", "/health", "/info"):
        assert client.get(path).status_code == 200
    # the wrong number of segments does not address a tenant
    assert client.get("/index.yaml").status_code == 404
    assert client.get(f"/{repo}/extra/index.yaml").status_code == 404


def test_tenants_are_isolated(make_app) -> None:
    client = make_app(depth=1).test_client()
    client.post("/api/a/charts", data=make_chart("only-a"))
    client.post("/api/b/charts", data=make_chart("only-b"))
    assert list(json.loads(client.get("/api/a/charts").data)) == ["only-a"]
    assert list(json.loads(client.get("/api/b/charts").data)) == ["only-b"]
    assert client.get("/b/charts/only-a-0.1.0.tgz").status_code == 404
    assert b"only-b" not in client.get("/a/index.yaml").data


def test_parent_does_not_see_nested_tenant(make_app, storage: str) -> None:
    os.makedirs(os.path.join(storage, "org1", "nested"))
    with open(os.path.join(storage, "org1", "nested", "deep-1.0.0.tgz"), "wb") as fh:
        fh.write(make_chart("deep", "1.0.0"))
    client = make_app(depth_dynamic=True).test_client()
    assert b"deep" not in client.get("/org1/index.yaml").data
    assert b"deep:" in client.get("/org1/nested/index.yaml").data


def test_existing_packages_visible_before_first_upload(make_app, storage: str) -> None:
    os.makedirs(os.path.join(storage, "org1"))
    with open(os.path.join(storage, "org1", "old-1.0.0.tgz"), "wb") as fh:
        fh.write(make_chart("old", "1.0.0"))
    client = make_app(depth=1).test_client()
    assert client.post("/api/org1/charts", data=make_chart("new")).status_code == 201
    body = client.get("/org1/index.yaml").data
    assert b"old:" in body and b"new:" in body


@pytest.mark.parametrize(
    "path, repo",
    [
        ("/index.yaml", ""),
        ("/org1/org2/index.yaml", "org1/org2"),
        ("/a/b/c/d/index.yaml", "a/b/c/d"),
        ("/api/charts", ""),
        ("/api/org1/charts", "org1"),
    ],
)
def test_depth_dynamic(make_app, path: str, repo: str) -> None:
    client = make_app(depth_dynamic=True).test_client()
    upload = f"/api/{repo}/charts" if repo else "/api/charts"
    assert client.post(upload, data=make_chart(f"c{len(repo)}")).status_code == 201
    response = client.get(path)
    assert response.status_code == 200
    assert f"c{len(repo)}".encode() in response.data


def test_unknown_tenant_is_empty_and_leaves_no_state(make_app, storage: str) -> None:
    client = make_app(depth=1).test_client()
    assert b"entries: {}" in client.get("/ghost/index.yaml").data
    assert json.loads(client.get("/api/ghost/charts").data) == {}
    assert not os.path.exists(os.path.join(storage, "ghost"))
    tenants = os.path.join(state_root(os.path.join(storage, ".chartmuseum")), "tenants")
    assert not os.path.exists(tenants) or os.listdir(tenants) == []


@pytest.mark.parametrize(
    "path", ["/../index.yaml", "/./index.yaml", "/.chartmuseum/index.yaml", "/org1\\x/index.yaml"]
)
def test_refused_tenant_paths(make_app, path: str) -> None:
    client = make_app(depth=1).test_client()
    response = client.get(path)
    assert response.status_code == 400
    assert "invalid repository path" in json.loads(response.data)["error"]


def test_refused_upload_paths(make_app, storage: str) -> None:
    client = make_app(depth=1).test_client()
    assert client.post("/api/../charts", data=make_chart()).status_code == 400
    assert client.post("/api/..%2F..%2Fescape/charts", data=make_chart()).status_code in (400, 404)
    assert not os.path.exists(os.path.join(os.path.dirname(storage), "mychart-0.1.0.tgz"))


@pytest.mark.parametrize("bad", ["..", ".", "a//b", "a/../b", "/a", "a/", ".hidden", "a\x00b"])
def test_check_repo_refuses(bad: str) -> None:
    with pytest.raises(BadRequest):
        check_repo(bad)


def test_storage_path() -> None:
    assert storage_path("", "a.tgz") == "a.tgz"
    assert storage_path("org1/repoa", "a.tgz") == "org1/repoa/a.tgz"
    with pytest.raises(BadRequest):
        storage_path("org1", "../a.tgz")


def test_context_path_and_chart_url_per_tenant(make_app) -> None:
    client = make_app(depth=1, context_path="/cm", chart_url="https://h.example/cm").test_client()
    client.post("/cm/api/org1/charts", data=make_chart())
    described = json.loads(client.get("/cm/api/org1/charts/mychart/0.1.0").data)
    assert described["urls"] == ["https://h.example/cm/org1/charts/mychart-0.1.0.tgz"]
    assert client.get("/cm/org1/index.yaml").status_code == 200
    assert client.get("/org1/index.yaml").status_code == 404


def test_delete_in_unknown_tenant_creates_nothing(make_app, storage: str) -> None:
    client = make_app(depth=1).test_client()
    response = client.delete("/api/ghost/charts/mychart/0.1.0")
    assert response.status_code == 404
    assert not os.path.exists(os.path.join(storage, "ghost"))
    tenants = os.path.join(state_root(os.path.join(storage, ".chartmuseum")), "tenants")
    assert not os.path.exists(tenants) or os.listdir(tenants) == []


DEPTH_MODES = {
    "depth0": {"depth": 0},
    "depth1": {"depth": 1},
    "depth2": {"depth": 2},
    "dynamic": {"depth_dynamic": True},
}
EMPTY_SEGMENTS = [
    "//",
    "//index.yaml",
    "///index.yaml",
    "//org1/index.yaml",
    "/org1//index.yaml",
    "/org1//repoa/index.yaml",
    "/org1/repoa//index.yaml",
    "/index.yaml//",
    "/org1/repoa/index.yaml//",
    "//charts/mychart-0.1.0.tgz",
    "/org1//charts/mychart-0.1.0.tgz",
    "/org1/charts//mychart-0.1.0.tgz",
    "/api//charts",
    "/api//org1/charts",
    "/api/org1//charts",
    "/api/org1//repoa/charts",
    "/api/charts//mychart",
    "/api/org1/charts/mychart//0.1.0",
    "/api/org1/repoa/charts//",
    "//health",
]


def _raw(client, path: str, method: str = "GET"):
    """Send ``path`` as the server gives it (the test client reads ``//x`` as a host)."""
    return client.open("/", method=method, environ_overrides={"PATH_INFO": path})


def _assert_refused(response) -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert "empty segment" in json.loads(response.data)["error"]


@pytest.mark.parametrize("mode", DEPTH_MODES)
@pytest.mark.parametrize("path", EMPTY_SEGMENTS)
def test_empty_segments_refused_in_every_depth_mode(make_app, mode: str, path: str) -> None:
    client = make_app(**DEPTH_MODES[mode]).test_client()
    client.post("/api/charts", data=make_chart())  # the root tenant has content (depth 0)
    _assert_refused(_raw(client, path))


@pytest.mark.parametrize("mode", DEPTH_MODES)
@pytest.mark.parametrize("method", ["HEAD", "POST", "DELETE"])
def test_empty_segments_refused_for_every_method(make_app, mode: str, method: str) -> None:
    client = make_app(**DEPTH_MODES[mode]).test_client()
    for path in ("//index.yaml", "/api//charts", "/api/org1//charts/mychart/0.1.0"):
        response = _raw(client, path, method)
        assert response.status_code == 400, path
        if method != "HEAD":
            _assert_refused(response)


@pytest.mark.parametrize("mode", DEPTH_MODES)
def test_empty_segments_refused_under_context_path(make_app, mode: str) -> None:
    client = make_app(context_path="/cm", **DEPTH_MODES[mode]).test_client()
    for path in ("/cm//index.yaml", "//cm/index.yaml", "/cm//", "/cm/api//charts"):
        _assert_refused(_raw(client, path))
    assert _raw(client, "/cm/").status_code == 200
    assert _raw(client, "/cm/health").status_code == 200


@pytest.mark.parametrize("mode", DEPTH_MODES)
def test_root_routes_still_served(make_app, mode: str) -> None:
    client = make_app(**DEPTH_MODES[mode]).test_client()
    for path in ("/", "/health", "/info"):
        assert _raw(client, path).status_code == 200, path
    root_tenant = mode in ("depth0", "dynamic")
    assert _raw(client, "/index.yaml").status_code == (200 if root_tenant else 404)
    assert _raw(client, "/api/charts").status_code == (200 if root_tenant else 404)


def test_empty_segment_does_not_reach_root_tenant(make_app) -> None:
    """The reported bug: with --depth-dynamic, //index.yaml served the root repository."""
    client = make_app(depth_dynamic=True).test_client()
    assert client.post("/api/charts", data=make_chart("rootchart")).status_code == 201
    assert b"rootchart:" in _raw(client, "/index.yaml").data
    response = _raw(client, "//index.yaml")
    _assert_refused(response)
    assert b"rootchart" not in response.data


@pytest.mark.parametrize(
    "path",
    ["//index.yaml", "/../index.yaml", "/.hidden/index.yaml", "/" + "t" * 300 + "/index.yaml"],
)
def test_refused_request_is_logged_with_its_number_and_id(
    make_app, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    client = make_app(depth=1).test_client()
    monkeypatch.setattr(logging.getLogger("chartmuseum"), "propagate", True)  # for caplog
    assert _raw(client, "/health").status_code == 200  # request 1
    for number, sent in ((2, {}), (3, {"X-Request-Id": "refused-42"})):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="chartmuseum"):
            response = client.open("/", headers=sent, environ_overrides={"PATH_INFO": path})
        assert response.status_code == 400
        request_id = response.headers["X-Request-Id"]
        assert request_id == sent.get("X-Request-Id", request_id)
        lines = [r for r in caplog.records if r.thread == threading.get_ident()]
        assert [r.getMessage().split(" ", 1)[0] for r in lines] == [f"[{number}]"] * 2
        assert [r.fields["reqID"] for r in lines] == [request_id] * 2


def test_storage_side_needs_no_web_framework() -> None:
    """The tenancy rules, the index engine and the repository import without Flask (the
    URL side of tenancy is app.tenant_urls), so the index can be built and its parse
    processes forked from a process that has not loaded the web framework."""
    code = (
        "import sys\n"
        "import app.tenancy, app.index.engine, app.index.build, app.repository\n"
        "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
