"""The web UI's URLs never take the classic routes' URLs, nor the other way round, at any
depth: checked on the application's own werkzeug url_map."""

from __future__ import annotations

import pytest

MODES = {
    "depth0": {},
    "depth1": {"depth": 1},
    "depth2": {"depth": 2},
    "dynamic": {"depth_dynamic": True},
    "dynamic-cm": {"depth_dynamic": True, "context_path": "/cm"},
}
# chart names that look like the classic routes' last segments, and tenants named like them
NAMES = ["mychart", "index.yaml", "charts", "artifacthub-repo.yml", "manifests", "tags", "api"]
TENANTS = {
    "depth0": [""],
    "depth1": ["org1", "api", "v2", "charts"],
    "depth2": ["org1/repoa", "api/charts", "v2/x", "charts/index.yaml"],
    "dynamic": ["", "org1", "a/b/c", "api", "v2", "charts/charts", "org1/index.yaml"],
}


def _tenants(mode: str) -> list[str]:
    return TENANTS["dynamic" if mode.startswith("dynamic") else mode]


@pytest.fixture(params=MODES, ids=MODES.keys())
def mapped(request, make_app):
    options = MODES[request.param]
    app = make_app(artifact_hub_repo_id={"": "x"}, **options)
    return request.param, options.get("context_path", ""), app.url_map.bind("localhost")


def _match(adapter, path: str, method: str = "GET"):
    endpoint, args = adapter.match(path, method=method)
    return endpoint, args


def test_ui_urls_reach_the_ui(mapped) -> None:
    mode, ctx, adapter = mapped
    for tenant in _tenants(mode):
        slash = f"/{tenant}" if tenant else ""
        repo = {"repo": tenant} if tenant else {}
        page = "ui.home" if not tenant else "ui.repository"
        if not (tenant == "v2" and not ctx):  # /v2/ is the registry's (at the server root)
            assert _match(adapter, f"{ctx}{slash}/") == (page, repo)
        for name in NAMES:
            assert _match(adapter, f"{ctx}/.chart{slash}/{name}") == (
                "ui.chart",
                {**repo, "name": name},
            )
            delete = f"{ctx}/.delete{slash}/{name}/1.0.0"
            expected = ("ui.delete", {**repo, "name": name, "version": "1.0.0"})
            assert _match(adapter, delete, "POST") == expected
        assert _match(adapter, f"{ctx}/.upload{slash}", "POST") == ("ui.upload", repo)
    assert _match(adapter, f"{ctx}/.static/ui.css") == ("ui.static_file", {"filename": "ui.css"})


def test_classic_urls_keep_their_routes(mapped) -> None:
    mode, ctx, adapter = mapped
    for tenant in _tenants(mode):
        ambiguous = tenant == "api" or "charts" in tenant.split("/")
        if ambiguous and mode.startswith("dynamic"):
            continue  # their classic URLs are ambiguous there, as in ChartMuseum
        slash = f"/{tenant}" if tenant else ""
        repo = {"repo": tenant} if tenant else {}
        index = _match(adapter, f"{ctx}{slash}/index.yaml")
        assert index[0].endswith(".index_yaml") and index[1] == repo
        package = _match(adapter, f"{ctx}{slash}/charts/mychart-1.0.0.tgz")
        assert package[0].endswith(".package") and package[1] == {
            **repo,
            "filename": "mychart-1.0.0.tgz",
        }
        hub = _match(adapter, f"{ctx}{slash}/artifacthub-repo.yml")
        assert hub[0].endswith(".artifacthub")
        for name in NAMES:
            listed = _match(adapter, f"{ctx}/api{slash}/charts/{name}")
            assert listed == (listed[0], {**repo, "name": name})
            assert listed[0].endswith(".chart_versions")
            described = _match(adapter, f"{ctx}/api{slash}/charts/{name}/1.0.0")
            assert described[0].endswith(".describe")
        registry = f"/v2/{tenant + '/' if tenant else ''}mychart/manifests/1.0.0"
        if mode != "depth2" or tenant.count("/") == 1:
            assert _match(adapter, registry)[0] == "registry.get_manifest"
    assert _match(adapter, f"{ctx}/api/openapi.json")[0] == "apidoc.openapi"
    assert _match(adapter, f"{ctx}/health")[0] == "server_info.health"


@pytest.mark.parametrize("mode", ["depth1", "depth2"])
def test_a_tenant_without_its_slash_is_no_page(make_app, mode: str) -> None:
    client = make_app(**MODES[mode]).test_client()
    tenant = "org1" if mode == "depth1" else "org1/repoa"
    assert client.get(f"/{tenant}/").status_code == 200
    missing = client.get(f"/{tenant}")
    assert missing.status_code == 404 and missing.get_json() == {"error": "not found"}
    assert client.get("/index.yaml").status_code == 404  # not the page of tenant index.yaml
