"""The Helm end-to-end flow, shared by every storage backend's tests."""

from __future__ import annotations

import os
from typing import Any

from tests.helpers import Server


def helm_flow(
    server: Server, helm: Any, keyring: dict[str, str], workdir: str, repo: str = ""
) -> None:
    """Package, sign, upload (raw and multipart), index, pull, verify, describe, delete.

    ``repo`` is the tenant path ("" for a single-tenant server).
    """
    base = server.url + (f"/{repo}" if repo else "")
    api = server.url + (f"/api/{repo}" if repo else "/api")
    src = os.path.join(workdir, "src")
    os.makedirs(src, exist_ok=True)
    helm.Chart.create("flow", src)
    v1 = helm.package(os.path.join(src, "flow"), destination=workdir)
    v2 = helm.package(os.path.join(src, "flow"), destination=workdir, version="0.2.0")
    prov = helm.sign(v2, key="Helm Test", keyring=keyring["secring"])
    with open(v1, "rb") as fh:
        v1_bytes = fh.read()
    raw = server.post(api[len(server.url) :] + "/charts", data=v1_bytes)
    assert raw.status_code == 201, raw.text
    with open(v2, "rb") as c, open(prov, "rb") as p:
        files = {"chart": ("flow.tgz", c.read()), "prov": ("flow.tgz.prov", p.read())}
    multipart = server.post(api[len(server.url) :] + "/charts", files=files)
    assert multipart.status_code == 201, multipart.text
    entries = helm.repo_index(base)["entries"]["flow"]
    assert [e["version"] for e in entries] == ["0.2.0", "0.1.0"]
    dest = os.path.join(workdir, "pulled")
    os.makedirs(dest, exist_ok=True)
    helm.pull("flow", repo_url=base, version="0.2.0", destination=dest)
    pulled = os.path.join(dest, "flow-0.2.0.tgz")
    prov_body = server.get(base[len(server.url) :] + "/charts/flow-0.2.0.tgz.prov")
    assert prov_body.status_code == 200
    with open(pulled + ".prov", "wb") as fh:
        fh.write(prov_body.content)
    assert helm.verify(pulled, keyring["pubring"])["signed_by"] == ["Helm Test <helm@test.local>"]
    latest = server.get(api[len(server.url) :] + "/charts/flow/latest").json()
    assert latest["version"] == "0.2.0"
    again = server.post(api[len(server.url) :] + "/charts", data=v1_bytes)
    assert again.status_code == 409
    assert server.delete(api[len(server.url) :] + "/charts/flow/0.1.0").status_code == 200
    entries = helm.repo_index(base)["entries"]["flow"]
    assert [e["version"] for e in entries] == ["0.2.0"]
