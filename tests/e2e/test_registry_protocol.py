"""The OCI distribution API (``/v2``) of a real server, at the protocol level.

Most tests run against two module-wide servers, ``--depth=0`` (repository name = chart)
and ``--depth=1`` (``org1/<chart>``), each with two workers; options that change the
registry's behaviour get a server of their own. Every test uses chart names of its own,
so that the shared servers need no cleaning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.options import Config
from tests.helpers import Server
from tests.helpers import make_chart
from tests.helpers import make_prov
from tests.helpers import start_server

pytestmark = pytest.mark.e2e

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.cncf.helm.config.v1+json"
CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
PROV = "application/vnd.cncf.helm.chart.provenance.v1.prov"
API_VERSION = ("Docker-Distribution-API-Version", "registry/2.0")
MAX_UPLOAD = 20000
REALM, SERVICE = "https://auth.example.com/token", "chartmuseum"
_OPTION_ENV = {f.metadata["env"] for f in Config.__dataclass_fields__.values()}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_json(name: str, version: str, **extra: str) -> bytes:
    """The config blob Helm writes: the Chart.yaml metadata as JSON."""
    return json.dumps({"name": name, "version": version, "apiVersion": "v2", **extra}).encode()


def manifest_json(
    chart: bytes, config: bytes, prov: bytes | None = None, config_type: str = CONFIG
) -> bytes:
    """A Helm chart manifest, as Helm builds it."""
    layers = [{"mediaType": CHART, "digest": sha(chart), "size": len(chart)}]
    if prov is not None:
        layers.append({"mediaType": PROV, "digest": sha(prov), "size": len(prov)})
    body = {
        "schemaVersion": 2,
        "config": {"mediaType": config_type, "digest": sha(config), "size": len(config)},
        "layers": layers,
        "annotations": {"org.opencontainers.image.title": "hand-built"},
    }
    return json.dumps(body).encode()


def files_below(root: str) -> list[str]:
    """Every file below ``root`` (relative), the index cache aside."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".chartmuseum"]
        found += [os.path.relpath(os.path.join(folder, n), root) for n in names]
    return sorted(found)


def assert_error(resp: requests.Response, status: int, code: str) -> None:
    """An error in the distribution spec's JSON shape."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    assert body["errors"][0]["code"] == code, body
    assert isinstance(body["errors"][0]["message"], str)


@dataclass
class Reg:
    """A running server and the tenant the tests of a module use (``""``: the root)."""

    server: Server
    storage: str
    tenant: str
    headers: dict[str, str] = field(default_factory=dict)

    def name(self, chart: str, tenant: str | None = None) -> str:
        tenant = self.tenant if tenant is None else tenant
        return f"{tenant}/{chart}" if tenant else chart

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return requests.request(
            method, self.server.url + path, headers=headers, timeout=60, allow_redirects=False, **kw
        )

    def api(self, tenant: str | None = None) -> str:
        tenant = self.tenant if tenant is None else tenant
        return f"/api/{tenant}/charts" if tenant else "/api/charts"

    def api_upload(
        self, chart: bytes, prov: bytes | None = None, tenant: str | None = None
    ) -> requests.Response:
        if prov is None:
            return self.call("POST", self.api(tenant), data=chart)
        files = {"chart": ("c.tgz", chart), "prov": ("c.tgz.prov", prov)}
        return self.call("POST", self.api(tenant), files=files)

    def index(self, tenant: str | None = None) -> dict[str, Any]:
        tenant = self.tenant if tenant is None else tenant
        resp = self.call("GET", f"/{tenant}/index.yaml" if tenant else "/index.yaml")
        assert resp.status_code == 200, resp.text
        return yaml.safe_load(resp.text)

    def versions(self, chart: str, tenant: str | None = None) -> list[str]:
        return [e["version"] for e in self.index(tenant).get("entries", {}).get(chart, [])]

    def upload(self, name: str, data: bytes) -> str:
        """A blob pushed as Helm does: POST, then the whole blob in the PUT."""
        start = self.call("POST", f"/v2/{name}/blobs/uploads/")
        assert start.status_code == 202, start.text
        done = self.call("PUT", start.headers["Location"], params={"digest": sha(data)}, data=data)
        assert done.status_code == 201, done.text
        return sha(data)

    def push(
        self,
        name: str,
        chart: bytes,
        version: str,
        prov: bytes | None = None,
        reference: str | None = None,
        config: bytes | None = None,
    ) -> requests.Response:
        """Blobs, then the manifest (by tag unless ``reference`` says otherwise)."""
        config = config_json(name.rsplit("/", 1)[-1], version) if config is None else config
        for blob in (chart, config, prov):
            if blob is not None:
                self.upload(name, blob)
        data = manifest_json(chart, config, prov)
        tag = version.replace("+", "_") if reference is None else reference
        return self.call(
            "PUT", f"/v2/{name}/manifests/{tag}", data=data, headers={"Content-Type": MANIFEST}
        )

    def manifest(self, name: str, reference: str) -> requests.Response:
        return self.call("GET", f"/v2/{name}/manifests/{reference}", headers={"Accept": MANIFEST})


@contextlib.contextmanager
def serving(
    factory: pytest.TempPathFactory, *flags: str, tenant: str = "", storage: str = ""
) -> Iterator[Reg]:
    """A server for a whole module (one worker unless ``flags`` say otherwise)."""
    storage = storage or str(factory.mktemp("storage"))
    log = str(factory.mktemp("log") / "server.log")
    args = ["--storage=local", f"--storage-local-rootdir={storage}"]
    if not any(f.startswith("--workers") for f in flags):
        args.append("--workers=1")
    with pytest.MonkeyPatch.context() as mp:
        for name in _OPTION_ENV:
            mp.delenv(name, raising=False)
        server = start_server([*args, *flags], log)
    try:
        yield Reg(server, storage, tenant)
    finally:
        server.stop()


@pytest.fixture(scope="module", params=[0, 1], ids=["depth0", "depth1"])
def reg(request, tmp_path_factory) -> Iterator[Reg]:
    """A registry with two workers (so that consecutive requests reach both)."""
    depth = request.param
    flags = [f"--depth={depth}", "--workers=2", f"--max-upload-size={MAX_UPLOAD}"]
    with serving(tmp_path_factory, *flags, tenant="org1" if depth else "") as found:
        yield found


# -- base and errors ------------------------------------------------------------------------------
def test_base(reg) -> None:
    for method in ("GET", "HEAD"):
        resp = reg.call(method, "/v2/")
        assert resp.status_code == 200
        assert resp.headers[API_VERSION[0]] == API_VERSION[1]
        if method == "GET":
            assert resp.json() == {}
            assert resp.headers["Content-Type"].startswith("application/json")
    assert_error(reg.call("POST", "/v2/"), 405, "UNSUPPORTED")


def test_errors_have_the_spec_shape(reg) -> None:
    name = reg.name("errs")
    missing = "sha256:" + "0" * 64
    assert_error(reg.call("GET", f"/v2/{name}/tags/list"), 404, "NAME_UNKNOWN")
    assert_error(reg.manifest(name, "1.0.0"), 404, "NAME_UNKNOWN")
    assert reg.api_upload(make_chart("errs", "1.0.0")).status_code == 201
    unknown_tag = reg.manifest(name, "9.9.9")
    assert_error(unknown_tag, 404, "MANIFEST_UNKNOWN")
    assert unknown_tag.headers[API_VERSION[0]] == API_VERSION[1]
    assert_error(reg.manifest(name, missing), 404, "MANIFEST_UNKNOWN")
    assert reg.call("HEAD", f"/v2/{name}/manifests/9.9.9").status_code == 404
    assert_error(reg.call("GET", f"/v2/{name}/blobs/{missing}"), 404, "BLOB_UNKNOWN")
    assert reg.call("HEAD", f"/v2/{name}/blobs/{missing}").status_code == 404
    assert_error(reg.call("GET", f"/v2/{name}/blobs/sha256:xyz"), 400, "DIGEST_INVALID")
    assert_error(reg.manifest(name, "sha256:xyz"), 400, "DIGEST_INVALID")
    assert_error(reg.call("DELETE", f"/v2/{name}/blobs/{missing}"), 405, "UNSUPPORTED")
    # names outside the OCI grammar or of the wrong depth
    wrong_depth = "org1/errs" if not reg.tenant else "errs"
    for bad in ("Errs" if not reg.tenant else "org1/Errs", wrong_depth, reg.name("errs--")):
        assert_error(reg.call("GET", f"/v2/{bad}/tags/list"), 400, "NAME_INVALID")
        assert_error(reg.call("POST", f"/v2/{bad}/blobs/uploads/"), 400, "NAME_INVALID")
    # a refused name is still a logged request with its id
    resp = reg.call("GET", f"/v2/{wrong_depth}/tags/list", headers={"X-Request-Id": "req-bad-1"})
    assert resp.headers["X-Request-Id"] == "req-bad-1"


# -- blob uploads -----------------------------------------------------------------------------------
def test_monolithic_upload(reg) -> None:
    name = reg.name("mono")
    data = b"monolithic blob " * 10
    start = reg.call("POST", f"/v2/{name}/blobs/uploads/")
    assert start.status_code == 202
    location = start.headers["Location"]
    assert location.startswith(f"/v2/{name}/blobs/uploads/")
    assert start.headers[API_VERSION[0]] == API_VERSION[1]
    done = reg.call("PUT", f"{location}?digest={sha(data)}", data=data)
    assert done.status_code == 201, done.text
    assert done.headers["Location"] == f"/v2/{name}/blobs/{sha(data)}"
    assert done.headers["Docker-Content-Digest"] == sha(data)
    got = reg.call("GET", f"/v2/{name}/blobs/{sha(data)}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["Docker-Content-Digest"] == sha(data)
    head = reg.call("HEAD", f"/v2/{name}/blobs/{sha(data)}")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(data)
    # the upload is over
    assert_error(reg.call("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
    # 202 and 201 are successes in the access log, not errors
    accepted = [ln for ln in reg.server.log().splitlines() if '"statusCode": 202' in ln]
    assert accepted and all("\tINFO\t" in ln for ln in accepted), accepted[:3]


def test_single_post_upload(reg) -> None:
    name = reg.name("single")
    data = b"single post"
    done = reg.call("POST", f"/v2/{name}/blobs/uploads/", params={"digest": sha(data)}, data=data)
    assert done.status_code == 201, done.text
    assert done.headers["Location"] == f"/v2/{name}/blobs/{sha(data)}"
    assert reg.call("GET", done.headers["Location"]).content == data
    # a body without ?digest= cannot become a blob
    assert_error(
        reg.call("POST", f"/v2/{name}/blobs/uploads/", data=b"x"), 400, "BLOB_UPLOAD_INVALID"
    )


def test_chunked_upload(reg) -> None:
    name = reg.name("chunked")
    blob = b"0123456789abcdef"
    start = reg.call("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    location = start.headers["Location"]
    first = reg.call("PATCH", location, data=blob[:4], headers={"Content-Range": "0-3"})
    assert first.status_code == 202, first.text
    assert first.headers["Range"] == "0-3"
    assert first.headers["Location"] == location
    # out of order: 416 saying where the upload stands
    for bad in ("8-11", "0-3", "3-6"):
        late = reg.call("PATCH", location, data=blob[8:12], headers={"Content-Range": bad})
        assert_error(late, 416, "BLOB_UPLOAD_INVALID")
        assert late.headers["Range"] == "0-3"
        assert late.headers["Location"] == location
    # a Content-Range that does not describe the body, or is not a range
    for bad in ("4-9", "4", "bytes=4-7", "7-4"):
        resp = reg.call("PATCH", location, data=blob[4:8], headers={"Content-Range": bad})
        assert_error(resp, 416, "BLOB_UPLOAD_INVALID")
    status = reg.call("GET", location)
    assert status.status_code == 204, status.text
    assert status.headers["Range"] == "0-3"
    assert status.headers["Location"] == location
    # without Content-Range the chunk is appended
    streamed = reg.call("PATCH", location, data=blob[4:8])
    assert streamed.status_code == 202 and streamed.headers["Range"] == "0-7"
    assert reg.call("PATCH", location, data=blob[8:12], headers={"Content-Range": "8-11"}).ok
    # the last chunk in the closing PUT, out of order first
    late = reg.call(
        "PUT",
        location,
        params={"digest": sha(blob)},
        data=blob[12:],
        headers={"Content-Range": "13-16"},
    )
    assert_error(late, 416, "BLOB_UPLOAD_INVALID")
    assert late.headers["Range"] == "0-11"
    done = reg.call(
        "PUT",
        location,
        params={"digest": sha(blob)},
        data=blob[12:],
        headers={"Content-Range": "12-15"},
    )
    assert done.status_code == 201, done.text
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(blob)}").content == blob


def test_chunks_then_empty_put(reg) -> None:
    name = reg.name("chunked2")
    blob = os.urandom(3000)
    location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    for offset in range(0, len(blob), 1000):
        chunk = blob[offset : offset + 1000]
        rng = f"{offset}-{offset + len(chunk) - 1}"
        resp = reg.call("PATCH", location, data=chunk, headers={"Content-Range": rng})
        assert resp.status_code == 202 and resp.headers["Range"] == rng.replace(f"{offset}-", "0-")
        location = resp.headers["Location"]
    assert_error(reg.call("PUT", location), 400, "DIGEST_INVALID")  # ?digest= is required
    assert reg.call("PUT", location, params={"digest": sha(blob)}).status_code == 201
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(blob)}").content == blob


def test_cancel_upload(reg) -> None:
    name = reg.name("cancel")
    location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    assert reg.call("PATCH", location, data=b"abc").status_code == 202
    assert any(upload_id in f for f in files_below(reg.storage))
    assert reg.call("DELETE", location).status_code == 204
    assert not any(upload_id in f for f in files_below(reg.storage))
    for method in ("GET", "PATCH", "DELETE"):
        assert_error(reg.call(method, location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(
        reg.call("PUT", location, params={"digest": sha(b"abc")}), 404, "BLOB_UPLOAD_UNKNOWN"
    )


def test_unknown_upload(reg) -> None:
    name = reg.name("unknown")
    for upload_id in (uuid.uuid4().hex, "not-an-upload", "0" * 32):
        location = f"/v2/{name}/blobs/uploads/{upload_id}"
        for method in ("GET", "PATCH", "DELETE"):
            assert_error(reg.call(method, location, data=b"x"), 404, "BLOB_UPLOAD_UNKNOWN")
        resp = reg.call("PUT", location, params={"digest": sha(b"x")}, data=b"x")
        assert_error(resp, 404, "BLOB_UPLOAD_UNKNOWN")


def test_upload_ids_belong_to_their_tenant(reg) -> None:
    location = reg.call("POST", f"/v2/{reg.name('mine')}/blobs/uploads/").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    assert reg.call("GET", location).status_code == 204
    # another chart of the same tenant shares the tenant's uploads
    assert reg.call("GET", f"/v2/{reg.name('yours')}/blobs/uploads/{upload_id}").status_code == 204
    if reg.tenant:  # another tenant's do not
        other = f"/v2/{reg.name('mine', 'org2')}/blobs/uploads/{upload_id}"
        assert_error(reg.call("GET", other), 404, "BLOB_UPLOAD_UNKNOWN")
        assert_error(reg.call("DELETE", other), 404, "BLOB_UPLOAD_UNKNOWN")
        assert reg.call("GET", location).status_code == 204


def test_digest_mismatch_stores_nothing(reg) -> None:
    name = reg.name("mismatch")
    data, wrong = b"the real content", sha(b"something else")
    before = files_below(reg.storage)
    single = reg.call("POST", f"/v2/{name}/blobs/uploads/", params={"digest": wrong}, data=data)
    assert_error(single, 400, "DIGEST_INVALID")
    location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    assert reg.call("PATCH", location, data=data[:5]).status_code == 202
    done = reg.call("PUT", location, params={"digest": wrong}, data=data[5:])
    assert_error(done, 400, "DIGEST_INVALID")
    # the failed completion ended the upload: nothing of it is left in storage
    assert_error(reg.call("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert files_below(reg.storage) == before
    for digest in (wrong, sha(data)):
        assert reg.call("HEAD", f"/v2/{name}/blobs/{digest}").status_code == 404
    bad = reg.call("POST", f"/v2/{name}/blobs/uploads/", params={"digest": "sha256:abc"}, data=data)
    assert_error(bad, 400, "DIGEST_INVALID")
    assert files_below(reg.storage) == before


def test_blob_larger_than_the_upload_limit(reg) -> None:
    name = reg.name("huge")
    location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    chunk = b"x" * (MAX_UPLOAD // 2 + 1000)
    assert reg.call("PATCH", location, data=chunk).status_code == 202
    too_much = reg.call(
        "PATCH",
        location,
        data=chunk,
        headers={"Content-Range": f"{len(chunk)}-{2 * len(chunk) - 1}"},
    )
    assert_error(too_much, 413, "SIZE_INVALID")
    assert_error(reg.call("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")  # dropped
    location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    assert reg.call("PATCH", location, data=chunk).status_code == 202
    closing = reg.call("PUT", location, params={"digest": sha(chunk * 2)}, data=chunk)
    assert_error(closing, 413, "SIZE_INVALID")
    body = b"y" * (MAX_UPLOAD + 1)  # one request over the limit
    single = reg.call("POST", f"/v2/{name}/blobs/uploads/", params={"digest": sha(body)}, data=body)
    assert_error(single, 413, "SIZE_INVALID")
    stored = files_below(reg.storage)
    assert not [f for f in stored if sha(body)[7:] in f or sha(chunk * 2)[7:] in f]


def test_cross_repository_mount(reg) -> None:
    chart = make_chart("mount-src", "1.0.0")
    assert reg.api_upload(chart).status_code == 201
    source, target = reg.name("mount-src"), reg.name("mount-dst")
    # what cannot be mounted falls back to an upload
    for params in (
        {"mount": sha(b"nothing"), "from": source},
        {"mount": sha(chart), "from": reg.name("no-such-chart")},
        {"mount": sha(chart), "from": "Not/A/Name"},
        {"mount": "sha256:bad", "from": source},
    ):
        resp = reg.call("POST", f"/v2/{target}/blobs/uploads/", params=params)
        assert resp.status_code == 202, (params, resp.text)
        assert resp.headers["Location"].startswith(f"/v2/{target}/blobs/uploads/")
    assert reg.call("HEAD", f"/v2/{target}/blobs/{sha(chart)}").status_code == 404
    mounted = reg.call(
        "POST", f"/v2/{target}/blobs/uploads/", params={"mount": sha(chart), "from": source}
    )
    assert mounted.status_code == 201, mounted.text
    assert mounted.headers["Location"] == f"/v2/{target}/blobs/{sha(chart)}"
    assert mounted.headers["Docker-Content-Digest"] == sha(chart)
    assert reg.call("GET", f"/v2/{target}/blobs/{sha(chart)}").content == chart
    if reg.tenant:  # another tenant's blob is never mounted
        other = reg.name("mount-dst", "org2")
        resp = reg.call(
            "POST", f"/v2/{other}/blobs/uploads/", params={"mount": sha(chart), "from": source}
        )
        assert resp.status_code == 202, resp.text
        assert reg.call("HEAD", f"/v2/{other}/blobs/{sha(chart)}").status_code == 404


# -- manifests --------------------------------------------------------------------------------------
def test_push_by_tag_and_pull(reg) -> None:
    name = reg.name("pushed")
    chart, config = (
        make_chart("pushed", "1.0.0", description="pushed"),
        config_json("pushed", "1.0.0"),
    )
    resp = reg.push(name, chart, "1.0.0", config=config)
    assert resp.status_code == 201, resp.text
    data = manifest_json(chart, config)
    assert resp.headers["Docker-Content-Digest"] == sha(data)
    assert resp.headers["Location"] == f"/v2/{name}/manifests/{sha(data)}"
    # in the very next index (two workers: ask a few times)
    for _ in range(4):
        assert reg.versions("pushed") == ["1.0.0"]
    for reference in ("1.0.0", sha(data)) * 2:
        got = reg.manifest(name, reference)
        assert got.status_code == 200, got.text
        assert got.content == data  # byte for byte
        assert got.headers["Content-Type"] == MANIFEST
        assert got.headers["Docker-Content-Digest"] == sha(data)
        head = reg.call("HEAD", f"/v2/{name}/manifests/{reference}")
        assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(data)
        assert head.headers["Docker-Content-Digest"] == sha(data)
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(chart)}").content == chart
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(config)}").content == config
    assert reg.call("GET", f"/v2/{name}/tags/list").json() == {"name": name, "tags": ["1.0.0"]}
    # the package is stored like an API upload, and served by the classic routes
    base = f"/{reg.tenant}" if reg.tenant else ""
    assert reg.call("GET", f"{base}/charts/pushed-1.0.0.tgz").content == chart
    assert reg.index()["entries"]["pushed"][0]["digest"] == sha(chart)[7:]
    # staged blobs are gone once stored as a chart
    tenant_oci = (
        os.path.join(reg.tenant, ".oci", "blobs") if reg.tenant else os.path.join(".oci", "blobs")
    )
    staged = [f for f in files_below(reg.storage) if f.startswith(tenant_oci)]
    assert not [f for f in staged if sha(chart)[7:] in f or sha(config)[7:] in f]


def test_push_by_digest_then_tag(reg) -> None:
    """Helm's order: the manifest by digest, a GET of it, then the tag."""
    name = reg.name("bydigest")
    chart, config = make_chart("bydigest", "2.0.0"), config_json("bydigest", "2.0.0")
    data = manifest_json(chart, config)
    resp = reg.push(name, chart, "2.0.0", config=config, reference=sha(data))
    assert resp.status_code == 201, resp.text
    assert resp.headers["Docker-Content-Digest"] == sha(data)
    assert reg.manifest(name, sha(data)).content == data
    # the version exists already: the tag names it
    assert reg.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["2.0.0"]
    tagged = reg.call(
        "PUT", f"/v2/{name}/manifests/2.0.0", data=data, headers={"Content-Type": MANIFEST}
    )
    assert tagged.status_code == 201, tagged.text
    assert reg.manifest(name, "2.0.0").content == data
    wrong = reg.call(
        "PUT",
        f"/v2/{name}/manifests/{sha(b'not it')}",
        data=data,
        headers={"Content-Type": MANIFEST},
    )
    assert_error(wrong, 400, "DIGEST_INVALID")
    # a sha512 reference: the response names the client's digest, which finds the manifest
    sha512 = "sha512:" + hashlib.sha512(data).hexdigest()
    resp = reg.call(
        "PUT", f"/v2/{name}/manifests/{sha512}", data=data, headers={"Content-Type": MANIFEST}
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Docker-Content-Digest"] == sha512
    assert reg.manifest(name, sha512).content == data
    assert_error(reg.manifest(name, "sha512:" + "0" * 128), 404, "MANIFEST_UNKNOWN")


def test_api_upload_is_pullable(reg) -> None:
    name = reg.name("derived")
    chart = make_chart("derived", "3.1.0", description="from the api", appVersion="v7")
    assert reg.api_upload(chart).status_code == 201
    first = reg.manifest(name, "3.1.0")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["schemaVersion"] == 2 and body["mediaType"] == MANIFEST
    assert body["layers"] == [{"mediaType": CHART, "digest": sha(chart), "size": len(chart)}]
    assert body["config"]["mediaType"] == CONFIG
    assert first.headers["Docker-Content-Digest"] == sha(first.content)
    config = reg.call("GET", f"/v2/{name}/blobs/{body['config']['digest']}")
    assert sha(config.content) == body["config"]["digest"]
    assert json.loads(config.content) == {
        "name": "derived",
        "version": "3.1.0",
        "description": "from the api",
        "apiVersion": "v2",
        "appVersion": "v7",
    }
    layer = reg.call("GET", f"/v2/{name}/blobs/{sha(chart)}")
    assert layer.content == chart  # the stored .tgz byte for byte
    assert layer.headers["Docker-Content-Digest"] == sha(chart)
    for _ in range(4):  # stable, whichever worker answers
        again = reg.manifest(name, "3.1.0")
        assert again.content == first.content
        assert reg.manifest(name, sha(first.content)).content == first.content


def test_api_provenance_is_a_layer(reg) -> None:
    name = reg.name("signed")
    chart, prov = make_chart("signed", "1.0.0"), make_prov("signed", "1.0.0")
    assert reg.api_upload(chart, prov).status_code == 201
    body = reg.manifest(name, "1.0.0").json()
    assert body["layers"] == [
        {"mediaType": CHART, "digest": sha(chart), "size": len(chart)},
        {"mediaType": PROV, "digest": sha(prov), "size": len(prov)},
    ]
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(prov)}").content == prov


def test_push_with_provenance(reg) -> None:
    name = reg.name("pushsigned")
    chart, prov = make_chart("pushsigned", "1.0.0"), make_prov("pushsigned", "1.0.0")
    resp = reg.push(name, chart, "1.0.0", prov=prov)
    assert resp.status_code == 201, resp.text
    base = f"/{reg.tenant}" if reg.tenant else ""
    assert reg.call("GET", f"{base}/charts/pushsigned-1.0.0.tgz.prov").content == prov
    got = reg.manifest(name, "1.0.0")
    assert got.content == manifest_json(chart, config_json("pushsigned", "1.0.0"), prov)
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(prov)}").content == prov
    assert reg.push(name, chart, "1.0.0", prov=prov).status_code == 201  # the same again
    # without its provenance layer the pushed manifest could never be pulled: refused
    assert_error(reg.push(name, chart, "1.0.0"), 409, "DENIED")
    assert reg.manifest(name, "1.0.0").content == got.content
    # the provenance layer must be a provenance file, of this chart
    other = make_chart("pushsigned", "2.0.0")
    for bad in (make_prov("pushsigned", "1.0.0"), make_prov("other", "2.0.0"), b"not signed"):
        assert_error(reg.push(name, other, "2.0.0", prov=bad), 400, "MANIFEST_INVALID")
    assert reg.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["1.0.0"]
    assert not os.path.exists(os.path.join(reg.storage, reg.tenant, "other-2.0.0.tgz.prov"))


def test_invalid_manifests(reg) -> None:
    name = reg.name("invalid")
    chart, config = make_chart("invalid", "1.0.0"), config_json("invalid", "1.0.0")
    reg.upload(name, chart)
    reg.upload(name, config)

    def put(data: bytes, tag: str = "1.0.0", content_type: str = MANIFEST) -> requests.Response:
        return reg.call(
            "PUT", f"/v2/{name}/manifests/{tag}", data=data, headers={"Content-Type": content_type}
        )

    image = manifest_json(chart, config, config_type="application/vnd.oci.image.config.v1+json")
    assert_error(put(image), 400, "MANIFEST_INVALID")
    docker = "application/vnd.docker.distribution.manifest.v2+json"
    assert_error(put(manifest_json(chart, config), content_type=docker), 400, "MANIFEST_INVALID")
    assert_error(put(b"not json"), 400, "MANIFEST_INVALID")
    missing = make_chart("invalid", "1.0.0", description="never uploaded")
    assert_error(put(manifest_json(missing, config)), 400, "MANIFEST_BLOB_UNKNOWN")
    assert_error(put(manifest_json(chart, b"{}")), 400, "MANIFEST_BLOB_UNKNOWN")
    # the chart must be the repository's chart, the tag its version
    other = make_chart("other", "1.0.0")
    reg.upload(name, other)
    other_config = config_json("other", "1.0.0")
    reg.upload(name, other_config)
    assert_error(put(manifest_json(other, other_config)), 400, "MANIFEST_INVALID")
    assert_error(put(manifest_json(other, config)), 400, "MANIFEST_INVALID")  # config lies
    assert_error(put(manifest_json(chart, config), tag="1.0.1"), 400, "MANIFEST_INVALID")
    assert_error(put(manifest_json(chart, config), tag="latest"), 400, "MANIFEST_INVALID")
    assert put(manifest_json(chart, config), tag="1.0.0+x").status_code == 400  # not a tag
    # the config must agree with the chart
    liar = config_json("invalid", "9.9.9")
    reg.upload(name, liar)
    assert_error(put(manifest_json(chart, liar)), 400, "MANIFEST_INVALID")
    # the chart layer must be a chart; sizes must be right
    junk = b"not a chart at all"
    reg.upload(name, junk)
    assert_error(put(manifest_json(junk, config)), 400, "MANIFEST_INVALID")
    body = json.loads(manifest_json(chart, config))
    body["layers"][0]["size"] += 1
    assert_error(put(json.dumps(body).encode()), 400, "MANIFEST_INVALID")
    # nothing of it was stored
    assert_error(reg.call("GET", f"/v2/{name}/tags/list"), 404, "NAME_UNKNOWN")
    assert "invalid" not in reg.index().get("entries", {})
    assert put(manifest_json(chart, config)).status_code == 201  # the blobs are still there


def test_version_with_build_metadata(reg) -> None:
    name = reg.name("buildmeta")
    chart = make_chart("buildmeta", "1.0.0+build.7")
    resp = reg.push(name, chart, "1.0.0+build.7")
    assert resp.status_code == 201, resp.text
    assert reg.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["1.0.0_build.7"]
    assert reg.versions("buildmeta") == ["1.0.0+build.7"]
    assert reg.manifest(name, "1.0.0_build.7").status_code == 200
    assert_error(reg.manifest(name, "1.0.0+build.7"), 400, "NAME_INVALID")
    assert reg.api_upload(make_chart("buildmeta", "2.0.0+api")).status_code == 201
    tags = reg.call("GET", f"/v2/{name}/tags/list").json()["tags"]
    assert tags == ["1.0.0_build.7", "2.0.0_api"]
    assert reg.manifest(name, "2.0.0_api").json()["layers"][0]["digest"] == sha(
        make_chart("buildmeta", "2.0.0+api")
    )


def test_existing_version(reg) -> None:
    name = reg.name("existing")
    chart = make_chart("existing", "1.0.0")
    assert reg.push(name, chart, "1.0.0").status_code == 201
    again = reg.push(name, chart, "1.0.0")  # identical: accepted
    assert again.status_code == 201, again.text
    different = make_chart("existing", "1.0.0", description="changed")
    assert_error(reg.push(name, different, "1.0.0"), 409, "DENIED")
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(chart)}").content == chart
    assert reg.index()["entries"]["existing"][0]["digest"] == sha(chart)[7:]
    # a version uploaded through the API is protected the same way
    assert reg.api_upload(make_chart("existing", "2.0.0")).status_code == 201
    assert_error(
        reg.push(name, make_chart("existing", "2.0.0", description="x"), "2.0.0"), 409, "DENIED"
    )
    assert reg.push(name, make_chart("existing", "2.0.0"), "2.0.0").status_code == 201
    # Helm skips blobs the registry has (HEAD 200): the stored package stands for its layer
    stored = make_chart("existing", "3.0.0")
    assert reg.api_upload(stored).status_code == 201
    assert reg.call("HEAD", f"/v2/{name}/blobs/{sha(stored)}").status_code == 200
    config = config_json("existing", "3.0.0", description="helm's own config")
    reg.upload(name, config)
    data = manifest_json(stored, config)
    resp = reg.call(
        "PUT", f"/v2/{name}/manifests/3.0.0", data=data, headers={"Content-Type": MANIFEST}
    )
    assert resp.status_code == 201, resp.text
    assert reg.manifest(name, "3.0.0").content == data  # now the pushed manifest
    assert reg.call("GET", f"/v2/{name}/blobs/{sha(config)}").content == config


def test_concurrent_identical_pushes(reg) -> None:
    """Two clients pushing one chart at once: both are told it is stored."""
    name = reg.name("twice")
    for minor in range(3):
        version = f"1.{minor}.0"
        chart, config = make_chart("twice", version), config_json("twice", version)
        reg.upload(name, chart)
        reg.upload(name, config)
        data = manifest_json(chart, config)
        barrier = threading.Barrier(4)

        def put(
            data: bytes = data, version: str = version, barrier: threading.Barrier = barrier
        ) -> int:
            barrier.wait()
            return reg.call(
                "PUT",
                f"/v2/{name}/manifests/{version}",
                data=data,
                headers={"Content-Type": MANIFEST},
            ).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: put(), range(4)))
        assert statuses == [201] * 4
        assert reg.manifest(name, version).content == data


def test_pushes_reach_the_next_index(reg) -> None:
    name = reg.name("burst")
    for minor in range(5):
        version = f"1.{minor}.0"
        assert reg.push(name, make_chart("burst", version), version).status_code == 201
        assert version in reg.versions("burst")  # the very next request, either worker
        resp = reg.call("GET", reg.api() + "/burst/" + version)
        assert resp.status_code == 200, resp.text


# -- deletes --------------------------------------------------------------------------------------
def test_delete_by_tag_and_digest(reg) -> None:
    name = reg.name("deleted")
    prov = make_prov("deleted", "1.0.0")
    assert reg.push(name, make_chart("deleted", "1.0.0"), "1.0.0", prov=prov).status_code == 201
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        assert reg.push(name, make_chart("deleted", version), version).status_code == 201
    folder = os.path.join(reg.storage, reg.tenant)
    assert os.path.exists(os.path.join(folder, "deleted-1.0.0.tgz.prov"))
    resp = reg.call("DELETE", f"/v2/{name}/manifests/1.0.0")
    assert resp.status_code == 202, resp.text
    assert not os.path.exists(os.path.join(folder, "deleted-1.0.0.tgz"))
    assert not os.path.exists(os.path.join(folder, "deleted-1.0.0.tgz.prov"))
    assert "1.0.0" not in reg.versions("deleted")
    assert_error(reg.manifest(name, "1.0.0"), 404, "MANIFEST_UNKNOWN")
    digest = reg.manifest(name, "1.1.0").headers["Docker-Content-Digest"]
    assert reg.call("DELETE", f"/v2/{name}/manifests/{digest}").status_code == 202
    assert reg.versions("deleted") == ["1.3.0", "1.2.0"]
    assert_error(reg.manifest(name, digest), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.call("DELETE", f"/v2/{name}/manifests/1.1.0"), 404, "MANIFEST_UNKNOWN")
    # a delete through the API removes the tag
    assert reg.call("DELETE", reg.api() + "/deleted/1.2.0").status_code == 200
    assert reg.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["1.3.0"]
    assert_error(reg.manifest(name, "1.2.0"), 404, "MANIFEST_UNKNOWN")
    # the pushed manifests of versions deleted through the registry go with them
    sidecars = [f for f in files_below(reg.storage) if "/manifests/deleted/" in "/" + f]
    assert {"1.0.0.json", "1.1.0.json"}.isdisjoint(os.path.basename(f) for f in sidecars)
    assert "1.3.0.json" in [os.path.basename(f) for f in sidecars]
    assert reg.call("DELETE", f"/v2/{name}/manifests/1.3.0").status_code == 202
    assert_error(reg.call("GET", f"/v2/{name}/tags/list"), 404, "NAME_UNKNOWN")


# -- listings --------------------------------------------------------------------------------------
def _follow(reg: Reg, path: str, key: str) -> list[list[str]]:
    pages = []
    while path:
        resp = reg.call("GET", path)
        assert resp.status_code == 200, resp.text
        pages.append(resp.json()[key])
        link = resp.headers.get("Link")
        match = re.fullmatch(r'<([^>]+)>; rel="next"', link) if link else None
        assert link is None or match, link
        path = match[1] if match else ""
    return pages


def test_tags_pagination(reg) -> None:
    name = reg.name("pager")
    versions = ["1.0.0", "1.10.0", "1.2.0", "2.0.0", "2.0.0-rc.1"]
    for version in versions:
        assert reg.api_upload(make_chart("pager", version)).status_code == 201
    path = f"/v2/{name}/tags/list"
    assert reg.call("GET", path).json() == {"name": name, "tags": sorted(versions)}
    first = reg.call("GET", path, params={"n": 2})
    assert first.json()["tags"] == ["1.0.0", "1.10.0"]
    assert first.headers["Link"] == f'<{path}?n=2&last=1.10.0>; rel="next"'
    assert _follow(reg, f"{path}?n=2", "tags") == [
        ["1.0.0", "1.10.0"],
        ["1.2.0", "2.0.0"],
        ["2.0.0-rc.1"],
    ]
    exact = reg.call("GET", path, params={"n": 5})
    assert exact.json()["tags"] == sorted(versions) and "Link" not in exact.headers
    zero = reg.call("GET", path, params={"n": 0})
    assert zero.json()["tags"] == [] and "Link" not in zero.headers
    after = reg.call("GET", path, params={"last": "1.2.0"})
    assert after.json()["tags"] == ["2.0.0", "2.0.0-rc.1"] and "Link" not in after.headers
    assert reg.call("GET", path, params={"last": "9"}).json()["tags"] == []
    for bad in ("-1", "x", "1.5"):
        assert_error(reg.call("GET", path, params={"n": bad}), 400, "UNSUPPORTED")


def test_catalog(reg) -> None:
    for chart in ("cat-a", "cat-b", "cat-c"):
        assert reg.api_upload(make_chart(chart, "1.0.0")).status_code == 201
    catalog = reg.call("GET", "/v2/_catalog")
    assert catalog.status_code == 200
    names = catalog.json()["repositories"]
    assert names == sorted(names)
    expected = [reg.name(c) for c in ("cat-a", "cat-b", "cat-c")]
    assert set(expected) <= set(names)
    assert not [n for n in names if ".oci" in n]
    pages = _follow(reg, "/v2/_catalog?n=2", "repositories")
    assert [n for page in pages for n in page] == names
    assert all(len(page) <= 2 for page in pages) and len(pages) >= 2
    if reg.tenant:
        assert reg.api_upload(make_chart("cat-z", "1.0.0"), tenant="org2").status_code == 201
        names = reg.call("GET", "/v2/_catalog").json()["repositories"]
        assert "org2/cat-z" in names and "cat-z" not in names
        assert all("/" in n for n in names)
    else:
        assert all("/" not in n for n in names)


# -- the Helm client ------------------------------------------------------------------------------
def test_helm_push_and_pull(reg, helm, helm_chart, tmp_path) -> None:
    host = reg.server.url.split("//", 1)[1]
    remote = f"oci://{host}/{reg.tenant}" if reg.tenant else f"oci://{host}"
    pushed = helm.push(helm_chart, remote, plain_http=True)
    assert pushed
    name = reg.name("webapp")
    assert reg.versions("webapp") == ["0.1.0"]
    with open(helm_chart, "rb") as fh:
        package = fh.read()
    manifest = reg.manifest(name, "0.1.0")
    assert manifest.json()["layers"][0]["digest"] == sha(package)
    dest = tmp_path / "pulled"
    dest.mkdir()
    helm.pull(f"{remote}/webapp", version="0.1.0", destination=str(dest), plain_http=True)
    assert (dest / "webapp-0.1.0.tgz").read_bytes() == package
    # pushing again is accepted (the same chart)
    helm.push(helm_chart, remote, plain_http=True)
    # a chart uploaded through the API is pulled with its derived manifest
    api_chart = make_chart("apichart", "1.0.0", description="through the api")
    assert reg.api_upload(api_chart).status_code == 201
    helm.pull(f"{remote}/apichart", version="1.0.0", destination=str(dest), plain_http=True)
    assert (dest / "apichart-1.0.0.tgz").read_bytes() == api_chart


# -- restart ----------------------------------------------------------------------------------------
def test_manifests_survive_a_restart(tmp_path_factory) -> None:
    storage = str(tmp_path_factory.mktemp("restart"))
    chart, prov = make_chart("keep", "1.0.0", description="kept"), make_prov("keep", "1.0.0")
    pushed = make_chart("pushkeep", "1.0.0")
    with serving(tmp_path_factory, storage=storage) as reg:
        assert reg.api_upload(chart, prov).status_code == 201
        assert reg.push("pushkeep", pushed, "1.0.0").status_code == 201
        before = {n: reg.manifest(n, "1.0.0").content for n in ("keep", "pushkeep")}
    with serving(tmp_path_factory, storage=storage) as reg:
        for name, data in before.items():
            assert reg.manifest(name, "1.0.0").content == data
            assert reg.manifest(name, sha(data)).content == data
    shutil.rmtree(
        os.path.join(storage, ".chartmuseum"), ignore_errors=True
    )  # the index rebuilt from storage
    with serving(tmp_path_factory, storage=storage) as reg:
        for name, data in before.items():
            assert reg.manifest(name, "1.0.0").content == data


# -- options ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Reg]:
    flags = (
        "--depth=1",
        "--allow-overwrite",
        "--per-chart-limit=2",
        "--max-storage-objects=3",
        "--disable-delete",
        "--enable-metrics",
    )
    with serving(tmp_path_factory, *flags, tenant="org1") as found:
        yield found


def test_allow_overwrite(limited) -> None:
    name = limited.name("over", "ow")
    first, second = make_chart("over", "1.0.0"), make_chart("over", "1.0.0", description="v2")
    assert limited.push(name, first, "1.0.0").status_code == 201
    resp = limited.push(name, second, "1.0.0")
    assert resp.status_code == 201, resp.text
    got = limited.manifest(name, "1.0.0")
    assert got.content == manifest_json(second, config_json("over", "1.0.0"))
    assert limited.call("GET", f"/v2/{name}/blobs/{sha(second)}").content == second
    assert limited.index("ow")["entries"]["over"][0]["digest"] == sha(second)[7:]


def test_per_chart_limit(limited) -> None:
    name = limited.name("lim", "lim")
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        assert limited.push(name, make_chart("lim", version), version).status_code == 201
    assert limited.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["1.1.0", "1.2.0"]
    assert sorted(limited.versions("lim", "lim")) == ["1.1.0", "1.2.0"]


def test_max_storage_objects(limited) -> None:
    for chart in ("a", "b", "c"):
        assert limited.push(limited.name(chart, "full"), make_chart(chart, "1.0.0"), "1.0.0").ok
    refused = limited.push(limited.name("d", "full"), make_chart("d", "1.0.0"), "1.0.0")
    assert refused.status_code == 507, refused.text
    assert list(refused.json()) == ["errors"]
    assert sorted(limited.index("full")["entries"]) == ["a", "b", "c"]


def test_disable_delete(limited) -> None:
    name = limited.name("kept", "del")
    assert limited.push(name, make_chart("kept", "1.0.0"), "1.0.0").status_code == 201
    assert_error(limited.call("DELETE", f"/v2/{name}/manifests/1.0.0"), 405, "UNSUPPORTED")
    assert limited.manifest(name, "1.0.0").status_code == 200


def test_metrics_use_route_templates(limited) -> None:
    name = limited.name("metered", "met")
    chart = make_chart("metered", "1.0.0")
    assert limited.push(name, chart, "1.0.0").status_code == 201
    digest = limited.manifest(name, "1.0.0").headers["Docker-Content-Digest"]
    assert limited.manifest(name, digest).status_code == 200
    assert limited.call("GET", f"/v2/{name}/blobs/{sha(chart)}").status_code == 200
    location = limited.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
    assert limited.call("PATCH", location, data=b"x").status_code == 202
    assert limited.call("GET", "/v2/").status_code == 200
    assert limited.call("GET", "/v2/bad/name/x/tags/list").status_code == 400
    text = limited.call("GET", "/metrics").text
    samples = [line for line in text.splitlines() if line.startswith("chartmuseum_requests_total{")]
    urls = {re.search(r'url="([^"]*)"', line)[1] for line in samples}
    assert {
        "/v2/",
        "/v2/:name/manifests/:reference",
        "/v2/:name/blobs/:digest",
        "/v2/:name/blobs/uploads/",
        "/v2/:name/blobs/uploads/:upload_id",
        "/v2/:name/tags/list",
    } <= urls, urls
    put = [
        s for s in samples if 'method="PUT"' in s and 'url="/v2/:name/manifests/:reference"' in s
    ]
    assert put and 'code="201"' in put[0]
    assert not [
        u for u in urls if "sha256" in u or "metered" in u or location.rsplit("/", 1)[1] in u
    ]
    latency = [
        line
        for line in text.splitlines()
        if line.startswith("chartmuseum_request_duration_seconds_sum{") and 'code="400"' in line
    ]
    assert latency and all(float(line.rsplit(" ", 1)[1]) < 60 for line in latency)


@pytest.fixture(scope="module")
def read_only(tmp_path_factory) -> Iterator[Reg]:
    storage = str(tmp_path_factory.mktemp("ro"))
    with open(os.path.join(storage, "ro-1.0.0.tgz"), "wb") as fh:
        fh.write(make_chart("ro", "1.0.0"))
    flags = ("--disable-api", "--context-path=/cm")
    with serving(tmp_path_factory, *flags, storage=storage) as found:
        yield found


def test_disable_api_makes_the_registry_read_only(read_only) -> None:
    chart = make_chart("ro", "1.0.0")
    got = read_only.manifest("ro", "1.0.0")
    assert got.status_code == 200, got.text
    assert read_only.call("GET", f"/v2/ro/blobs/{sha(chart)}").content == chart
    upload = f"/v2/ro/blobs/uploads/{uuid.uuid4().hex}"
    for method, path in (
        ("PUT", "/v2/ro/manifests/1.0.0"),
        ("DELETE", "/v2/ro/manifests/1.0.0"),
        ("POST", "/v2/ro/blobs/uploads/"),
        ("GET", upload),
        ("PATCH", upload),
        ("PUT", upload + f"?digest={sha(b'x')}"),
        ("DELETE", upload),
    ):
        assert_error(read_only.call(method, path, data=b"x"), 405, "UNSUPPORTED")
    assert read_only.manifest("ro", "1.0.0").content == got.content
    assert files_below(read_only.storage) == ["ro-1.0.0.tgz"]
    # the registry is at the server root, whatever the context path
    assert read_only.call("GET", "/v2/").status_code == 200
    assert read_only.call("GET", "/cm/v2/").status_code == 404
    assert "ro" in yaml.safe_load(read_only.call("GET", "/cm/index.yaml").text)["entries"]


# -- expiry -----------------------------------------------------------------------------------------
def test_abandoned_uploads_expire(tmp_path_factory) -> None:
    with serving(tmp_path_factory, "--depth=1", "--oci-upload-expiry=2s", tenant="org1") as reg:
        name = reg.name("web")
        location = reg.call("POST", f"/v2/{name}/blobs/uploads/").headers["Location"]
        assert reg.call("PATCH", location, data=b"abandoned").status_code == 202
        staged = b"staged, never used"
        assert reg.call(
            "POST", f"/v2/{name}/blobs/uploads/", params={"digest": sha(staged)}, data=staged
        ).ok
        other = reg.name("web", "org2")  # another tenant's upload is swept with its tenant
        other_location = reg.call("POST", f"/v2/{other}/blobs/uploads/").headers["Location"]
        assert [f for f in files_below(reg.storage) if f.startswith("org1/.oci/")]
        time.sleep(3)
        # any later registry request of the tenant sweeps it, a pull included
        assert_error(reg.call("GET", f"/v2/{reg.name('anything')}/tags/list"), 404, "NAME_UNKNOWN")
        assert [f for f in files_below(reg.storage) if f.startswith("org1/")] == []
        assert [f for f in files_below(reg.storage) if f.startswith("org2/")]  # not yet
        assert_error(reg.call("GET", other_location), 404, "BLOB_UPLOAD_UNKNOWN")
        assert files_below(reg.storage) == []
        assert_error(reg.call("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
        assert reg.call("HEAD", f"/v2/{name}/blobs/{sha(staged)}").status_code == 404


# -- depth-dynamic ----------------------------------------------------------------------------------
def test_depth_dynamic_names(tmp_path_factory) -> None:
    with serving(tmp_path_factory, "--depth-dynamic") as reg:
        for tenant in ("", "org1", "a/b"):
            name = reg.name("web", tenant)
            chart = make_chart("web", "1.0.0", description=tenant or "root")
            assert reg.push(name, chart, "1.0.0").status_code == 201
            assert reg.versions("web", tenant) == ["1.0.0"]
            assert reg.call("GET", f"/v2/{name}/blobs/{sha(chart)}").content == chart
        assert reg.api_upload(make_chart("api", "1.0.0"), tenant="a/b").status_code == 201
        assert reg.call("GET", "/v2/a/b/api/tags/list").json() == {
            "name": "a/b/api",
            "tags": ["1.0.0"],
        }
        assert reg.call("GET", "/v2/_catalog").json()["repositories"] == [
            "a/b/api",
            "a/b/web",
            "org1/web",
            "web",
        ]
        chart = make_chart("web", "1.0.0", description="a/b")
        same = {"mount": sha(chart), "from": "a/b/web"}
        assert reg.call("POST", "/v2/a/b/api/blobs/uploads/", params=same).status_code == 201
        assert reg.call("POST", "/v2/org1/api/blobs/uploads/", params=same).status_code == 202
        assert reg.call("POST", "/v2/a/api/blobs/uploads/", params=same).status_code == 202
        assert_error(reg.call("GET", "/v2/a//web/tags/list"), 400, "NAME_INVALID")
        assert_error(reg.call("GET", "/v2/a/.oci/web/tags/list"), 400, "NAME_INVALID")


# -- auth ----------------------------------------------------------------------------------------------
def _basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Iterator[Reg]:
    flags = ("--depth=1", "--basic-auth-user=user", "--basic-auth-pass=pass")
    with serving(tmp_path_factory, *flags, tenant="org1") as found:
        yield found


def test_basic_auth(basic) -> None:
    good = _basic("user", "pass")
    name = basic.name("web")
    chart = make_chart("web", "1.0.0")
    for method, path in (
        ("GET", "/v2/"),
        ("GET", "/v2/_catalog"),
        ("GET", f"/v2/{name}/tags/list"),
        ("GET", f"/v2/{name}/manifests/1.0.0"),
        ("HEAD", f"/v2/{name}/manifests/1.0.0"),
        ("GET", f"/v2/{name}/blobs/{sha(chart)}"),
        ("POST", f"/v2/{name}/blobs/uploads/"),
        ("PUT", f"/v2/{name}/manifests/1.0.0"),
        ("DELETE", f"/v2/{name}/manifests/1.0.0"),
    ):
        for headers in ({}, _basic("user", "wrong")):
            resp = basic.call(method, path, headers=headers)
            assert resp.status_code == 401, (method, path)
            assert resp.headers["WWW-Authenticate"] == 'Basic realm="ChartMuseum"'
            if method != "HEAD":
                assert_error(resp, 401, "UNAUTHORIZED")
    # credentials are checked before anything else, the name included
    assert_error(basic.call("GET", "/v2/Bad/Name/x/tags/list"), 401, "UNAUTHORIZED")
    assert_error(basic.call("GET", "/v2/Bad/Name/x/tags/list", headers=good), 400, "NAME_INVALID")
    basic.headers = good
    try:
        assert basic.call("GET", "/v2/").status_code == 200
        assert basic.push(name, chart, "1.0.0").status_code == 201
        assert basic.manifest(name, "1.0.0").status_code == 200
        assert basic.call("GET", f"/v2/{name}/blobs/{sha(chart)}").content == chart
        assert basic.call("GET", "/v2/_catalog").json() == {"repositories": [name]}
        assert basic.call("DELETE", f"/v2/{name}/manifests/1.0.0").status_code == 202
    finally:
        basic.headers = {}


def test_basic_auth_anonymous_get(tmp_path_factory) -> None:
    flags = (
        "--depth=1",
        "--basic-auth-user=user",
        "--basic-auth-pass=pass",
        "--auth-anonymous-get",
    )
    with serving(tmp_path_factory, *flags, tenant="org1") as reg:
        name = reg.name("web")
        chart = make_chart("web", "1.0.0")
        assert_error(reg.call("POST", f"/v2/{name}/blobs/uploads/"), 401, "UNAUTHORIZED")
        reg.headers = _basic("user", "pass")
        assert reg.push(name, chart, "1.0.0").status_code == 201
        reg.headers = {}
        assert reg.call("GET", "/v2/").status_code == 200
        assert reg.call("GET", "/v2/_catalog").json() == {"repositories": [name]}
        assert reg.call("GET", f"/v2/{name}/tags/list").json()["tags"] == ["1.0.0"]
        assert reg.manifest(name, "1.0.0").status_code == 200
        assert reg.call("HEAD", f"/v2/{name}/blobs/{sha(chart)}").status_code == 200
        for method, path in (
            ("PUT", f"/v2/{name}/manifests/1.0.0"),
            ("DELETE", f"/v2/{name}/manifests/1.0.0"),
            ("GET", f"/v2/{name}/blobs/uploads/{uuid.uuid4().hex}"),
        ):
            assert_error(reg.call(method, path), 401, "UNAUTHORIZED")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def bearer(tmp_path_factory, rsa_key) -> Iterator[Reg]:
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cert = tmp_path_factory.mktemp("issuer") / "issuer.pem"
    cert.write_bytes(pem)
    flags = (
        "--depth=1",
        "--bearer-auth",
        f"--auth-realm={REALM}",
        f"--auth-service={SERVICE}",
        f"--auth-cert-path={cert}",
    )
    with serving(tmp_path_factory, *flags, tenant="org1") as found:
        yield found


def token(key: rsa.RSAPrivateKey, *access: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    claims = {"iat": now - 10, "exp": now + 300, "access": list(access)}
    return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="RS256")}


def entry(kind: str, name: str, *actions: str) -> dict[str, Any]:
    return {"type": kind, "name": name, "actions": list(actions)}


def test_bearer_auth(bearer, rsa_key) -> None:
    tenant_push = token(rsa_key, entry("artifact-repository", "org1", "pull", "push"))
    web_pull = token(rsa_key, entry("repository", "org1/web", "pull"))
    web_push = token(rsa_key, entry("repository", "org1/web", "pull", "push"))
    challenge = f'Bearer realm="{REALM}",service="{SERVICE}"'
    # /v2/: any valid token; the challenge has no scope
    anonymous = bearer.call("GET", "/v2/")
    assert_error(anonymous, 401, "UNAUTHORIZED")
    assert anonymous.headers["WWW-Authenticate"] == challenge
    assert bearer.call("GET", "/v2/", headers=web_pull).status_code == 200
    forged = token(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        entry("repository", "org1/web", "pull"),
    )
    assert bearer.call("GET", "/v2/", headers=forged).status_code == 401
    # pushes: a tenant grant, or a repository grant of that very repository
    web, api = make_chart("web", "1.0.0"), make_chart("api", "1.0.0")
    bearer.headers = tenant_push
    assert bearer.push("org1/api", api, "1.0.0").status_code == 201
    assert_error(bearer.call("POST", "/v2/org2/web/blobs/uploads/"), 401, "UNAUTHORIZED")
    bearer.headers = web_push
    assert bearer.push("org1/web", web, "1.0.0").status_code == 201
    denied = bearer.call("POST", "/v2/org1/api/blobs/uploads/")
    assert_error(denied, 401, "UNAUTHORIZED")
    assert (
        denied.headers["WWW-Authenticate"] == challenge + ',scope="repository:org1/api:pull,push"'
    )
    bearer.headers = {}
    # pulls
    denied = bearer.manifest("org1/web", "1.0.0")
    assert_error(denied, 401, "UNAUTHORIZED")
    assert denied.headers["WWW-Authenticate"] == challenge + ',scope="repository:org1/web:pull"'
    bearer.headers = web_pull
    assert bearer.manifest("org1/web", "1.0.0").status_code == 200
    assert bearer.call("GET", f"/v2/org1/web/blobs/{sha(web)}").content == web
    denied = bearer.manifest("org1/api", "1.0.0")
    assert_error(denied, 401, "UNAUTHORIZED")
    assert denied.headers["WWW-Authenticate"] == challenge + ',scope="repository:org1/api:pull"'
    push = bearer.call("PUT", "/v2/org1/web/manifests/1.0.0", data=b"{}")
    assert push.headers["WWW-Authenticate"] == challenge + ',scope="repository:org1/web:pull,push"'
    # no mount from a repository the token may not read
    mount = bearer.call(
        "POST",
        "/v2/org1/web/blobs/uploads/",
        params={"mount": sha(api), "from": "org1/api"},
        headers=web_push,
    )
    assert mount.status_code == 202, mount.text
    assert (
        bearer.call("HEAD", f"/v2/org1/web/blobs/{sha(api)}", headers=web_push).status_code == 404
    )
    mount = bearer.call(
        "POST",
        "/v2/org1/web/blobs/uploads/",
        params={"mount": sha(api), "from": "org1/api"},
        headers=tenant_push,
    )
    assert mount.status_code == 201, mount.text
    # the catalog lists what the token may pull
    assert bearer.call("GET", "/v2/_catalog").json() == {"repositories": ["org1/web"]}
    bearer.headers = tenant_push
    assert bearer.call("GET", "/v2/_catalog").json() == {"repositories": ["org1/api", "org1/web"]}
    bearer.headers = token(rsa_key, entry("artifact-repository", "org2", "pull"))
    assert bearer.call("GET", "/v2/_catalog").json() == {"repositories": []}
    # deletes need push
    bearer.headers = web_pull
    assert bearer.call("DELETE", "/v2/org1/web/manifests/1.0.0").status_code == 401
    bearer.headers = web_push
    assert bearer.call("DELETE", "/v2/org1/web/manifests/1.0.0").status_code == 202
    bearer.headers = {}
