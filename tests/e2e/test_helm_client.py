"""The real Helm client (helm-python-sdk) against a real `chartmuseum` process (3 workers)."""

from __future__ import annotations

import os
import uuid

import pytest
import requests
import yaml

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(run_server, storage):
    return run_server("--storage=local", f"--storage-local-rootdir={storage}", "--workers=3")


def _multipart_chunks(fields: dict[str, tuple[str, bytes]], boundary: str):
    for name, (filename, data) in fields.items():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def cm_push(url: str, tgz: str, force: bool = False) -> requests.Response:
    """The request `helm cm-push` sends: chunked multipart, field `chart`, bare `?force`."""
    boundary = uuid.uuid4().hex
    with open(tgz, "rb") as fh:
        data = fh.read()
    body = _multipart_chunks(
        {"chart": (f"/tmp/helm-push-123/{os.path.basename(tgz)}", data)}, boundary
    )
    return requests.post(
        f"{url}/api/charts" + ("?force" if force else ""),
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )


def test_upload_index_pull_show(server, helm, helm_chart, tmp_path) -> None:
    with open(helm_chart, "rb") as fh:
        assert server.post("/api/charts", data=fh.read()).status_code == 201
    index = helm.repo_index(server.url)
    versions = index["entries"]["webapp"]
    assert versions[0]["version"] == "0.1.0"
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull("webapp", repo_url=server.url, version="0.1.0", destination=str(dest))
    pulled = dest / "webapp-0.1.0.tgz"
    with open(helm_chart, "rb") as a, open(pulled, "rb") as b:
        assert a.read() == b.read()
    assert "name: webapp" in helm.show("webapp", repo_url=server.url)
    rendered = helm.Chart.load(str(pulled)).render({}, name="rel", namespace="ns")
    assert any(name.endswith("deployment.yaml") for name in rendered)


def test_sign_upload_verify(server, helm, helm_chart, keyring, tmp_path) -> None:
    prov = helm.sign(helm_chart, key="Helm Test", keyring=keyring["secring"])
    with open(helm_chart, "rb") as c, open(prov, "rb") as p:
        files = {"chart": ("webapp.tgz", c.read()), "prov": ("webapp.tgz.prov", p.read())}
    assert server.post("/api/charts", files=files).status_code == 201
    dest = tmp_path / "verified"
    dest.mkdir()
    helm.pull("webapp", repo_url=server.url, version="0.1.0", destination=str(dest))
    prov_body = server.get("/charts/webapp-0.1.0.tgz.prov")
    assert prov_body.status_code == 200
    (dest / "webapp-0.1.0.tgz.prov").write_bytes(prov_body.content)
    result = helm.verify(str(dest / "webapp-0.1.0.tgz"), keyring["pubring"])
    assert result["signed_by"] == ["Helm Test <helm@test.local>"]


def test_cm_push_request_shape(server, helm_chart) -> None:
    assert cm_push(server.url, helm_chart).status_code == 201
    again = cm_push(server.url, helm_chart)
    assert again.status_code == 409 and again.json() == {"error": "chart already exists"}
    assert cm_push(server.url, helm_chart, force=True).status_code == 201


def test_curl_style_uploads(server, helm_chart) -> None:
    with open(helm_chart, "rb") as fh:
        data = fh.read()
    raw = requests.post(  # what `curl --data-binary @x.tgz` sends
        server.url + "/api/charts",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert raw.status_code == 201 and raw.content == b'{"saved":true}'


def test_dependency_update_from_our_repo(server, helm, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    helm.Chart.create("libdep", str(src))
    tgz = helm.package(str(src / "libdep"), destination=str(tmp_path))
    with open(tgz, "rb") as fh:
        assert server.post("/api/charts", data=fh.read()).status_code == 201
    helm.Chart.create("app", str(src))
    chart_yaml = src / "app" / "Chart.yaml"
    meta = yaml.safe_load(chart_yaml.read_text())
    meta["dependencies"] = [{"name": "libdep", "version": "^0.1.0", "repository": server.url}]
    chart_yaml.write_text(yaml.safe_dump(meta))
    helm.dependency_update(str(src / "app"))
    assert (src / "app" / "charts" / "libdep-0.1.0.tgz").exists()


def test_helm_reads_json_index(run_server, storage, helm, helm_chart) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={storage}", "--json-index")
    with open(helm_chart, "rb") as fh:
        server.post("/api/charts", data=fh.read())
    assert server.get("/index.yaml").content.startswith(b'{"apiVersion":"v1"')
    assert helm.repo_index(server.url)["entries"]["webapp"][0]["version"] == "0.1.0"


def test_helm_with_context_path(run_server, storage, helm, helm_chart, tmp_path) -> None:
    server = run_server(
        "--storage=local", f"--storage-local-rootdir={storage}", "--context-path=/cm"
    )
    with open(helm_chart, "rb") as fh:
        assert server.post("/cm/api/charts", data=fh.read()).status_code == 201
    index = helm.repo_index(server.url + "/cm")
    assert index["serverInfo"]["contextPath"] == "/cm"
    dest = tmp_path / "d"
    dest.mkdir()
    helm.pull("webapp", repo_url=server.url + "/cm", version="0.1.0", destination=str(dest))


def test_full_flow_local(server, helm, keyring, tmp_path) -> None:
    from tests.e2e.flow import helm_flow

    helm_flow(server, helm, keyring, str(tmp_path))
