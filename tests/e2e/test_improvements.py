"""Where we do better than ChartMuseum, checked against a real multi-worker server."""

from __future__ import annotations

import glob
import hashlib
import http.client
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers import make_chart
from tests.helpers import make_tgz

pytestmark = pytest.mark.e2e


def _args(storage: str, *extra: str) -> list[str]:
    return ["--storage=local", f"--storage-local-rootdir={storage}", "--workers=3", *extra]


@pytest.fixture
def server(run_server, storage):
    return run_server(*_args(storage))


def _fresh_get(url: str, **kw: object) -> requests.Response:
    """A new connection per request, so requests spread over the workers."""
    with requests.Session() as session:
        return session.get(url, timeout=30, **kw)  # type: ignore[arg-type]


def test_read_your_writes_on_every_worker(server) -> None:
    for i in range(10):
        assert server.post("/api/charts", data=make_chart(f"c{i}")).status_code == 201
        for _ in range(4):
            assert f"c{i}:".encode() in _fresh_get(server.url + "/index.yaml").content
        assert server.delete(f"/api/charts/c{i}/0.1.0").status_code == 200
        for _ in range(4):
            assert f"c{i}:".encode() not in _fresh_get(server.url + "/index.yaml").content


def test_hand_edited_storage_shows_on_next_request(server, storage) -> None:
    assert b"entries: {}" in server.get("/index.yaml").content
    path = os.path.join(storage, "byhand-1.0.0.tgz")
    with open(path, "wb") as fh:
        fh.write(make_chart("byhand", "1.0.0"))
    for _ in range(4):
        assert b"byhand:" in _fresh_get(server.url + "/index.yaml").content
    os.remove(path)
    for _ in range(4):
        body = _fresh_get(server.url + "/index.yaml").content
        assert b"byhand" not in body


def test_twenty_concurrent_uploads_nothing_lost(server) -> None:
    charts = [make_chart(f"chart{i:02d}", f"1.0.{i}") for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda c: server.post("/api/charts", data=c).status_code, charts))
    assert statuses == [201] * 20
    for _ in range(6):
        listing = _fresh_get(server.url + "/api/charts").json()
        assert sorted(listing) == [f"chart{i:02d}" for i in range(20)]


def test_concurrent_same_version_exactly_one_wins(server, storage) -> None:
    variants = [make_chart("race", "1.0.0", description=f"v{i}") for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        statuses = list(
            pool.map(lambda c: server.post("/api/charts", data=c).status_code, variants)
        )
    assert sorted(statuses) == [201] + [409] * 11
    stored = _read(os.path.join(storage, "race-1.0.0.tgz"))
    digest = _fresh_get(server.url + "/api/charts/race/1.0.0").json()["digest"]
    assert digest == hashlib.sha256(stored).hexdigest()


def test_atomic_overwrites_readers_never_see_partial(server, storage) -> None:
    big = os.urandom(3 * 1024 * 1024)
    variants = [
        make_tgz(
            {
                "Chart.yaml": f"apiVersion: v2\nname: big\nversion: 1.0.0\ndescription: v{i}\n",
                "blob.bin": big,
            },
            top="big",
        )
        for i in range(4)
    ]
    digests = {hashlib.sha256(v).hexdigest() for v in variants}
    assert server.post("/api/charts", data=variants[0]).status_code == 201

    def write(i: int) -> int:
        return server.post("/api/charts?force", data=variants[i % 4]).status_code

    def read(_: int) -> str:
        return hashlib.sha256(_fresh_get(server.url + "/charts/big-1.0.0.tgz").content).hexdigest()

    with ThreadPoolExecutor(8) as pool:
        writes = [pool.submit(write, i) for i in range(8)]
        reads = [pool.submit(read, i) for i in range(24)]
        assert all(w.result() == 201 for w in writes)
        assert all(r.result() in digests for r in reads)
    # none left behind; the background writer may be writing index-cache.yaml right now, so
    # a temporary file may exist for a moment, but a leaked one stays
    deadline = time.monotonic() + 10
    while glob.glob(os.path.join(storage, ".cm-tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not glob.glob(os.path.join(storage, ".cm-tmp-*"))
    final = hashlib.sha256(_read(os.path.join(storage, "big-1.0.0.tgz"))).hexdigest()
    for _ in range(4):
        assert _fresh_get(server.url + "/api/charts/big/1.0.0").json()["digest"] == final


def _raw_get(server, path: str, method: str = "GET") -> int:
    host, port = server.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest(method, path, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/../secret.tgz"),
        ("GET", "/charts/../../secret.tgz"),
        ("GET", "/charts/..%2F..%2Fsecret.tgz"),
        ("GET", "/charts/%2e%2e%2fsecret.tgz"),
        ("GET", "/api/../charts"),
        ("POST", "/api/../charts"),
        ("DELETE", "/api/charts/..%2F..%2Fsecret/1"),
        ("GET", "/api/charts/../../secret/1.0.0/values"),
    ],
)
def test_no_path_traversal(server, storage, method: str, path: str) -> None:
    secret = os.path.join(os.path.dirname(storage), "secret.tgz")
    with open(secret, "wb") as fh:
        fh.write(make_chart("secret"))
    status = _raw_get(server, path, method)
    assert 400 <= status < 500
    assert os.path.exists(secret)


def test_etag_gzip_and_stable_bytes(server) -> None:
    server.post("/api/charts", data=make_chart())
    plain = [
        _fresh_get(server.url + "/index.yaml", headers={"Accept-Encoding": "identity"})
        for _ in range(6)
    ]
    assert len({r.content for r in plain}) == 1
    assert all("Content-Encoding" not in r.headers for r in plain)
    etag = plain[0].headers["ETag"]
    assert len({r.headers["ETag"] for r in plain}) == 1
    cached = _fresh_get(
        server.url + "/index.yaml", headers={"If-None-Match": etag, "Accept-Encoding": "identity"}
    )
    assert cached.status_code == 304 and cached.content == b""
    gz = _fresh_get(server.url + "/index.yaml", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gz.content == plain[0].content
    time.sleep(1.1)
    assert (
        _fresh_get(server.url + "/index.yaml", headers={"Accept-Encoding": "identity"}).content
        == plain[0].content
    )
    server.post("/api/charts", data=make_chart("other"))
    after = _fresh_get(
        server.url + "/index.yaml", headers={"If-None-Match": etag, "Accept-Encoding": "identity"}
    )
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_statefile_written_and_used(run_server, storage) -> None:
    server = run_server(*_args(storage))
    server.post("/api/charts", data=make_chart())
    statefile = os.path.join(storage, "index-cache.yaml")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and b"mychart" not in _read(statefile):
        time.sleep(0.1)
    assert b"mychart:" in _read(statefile)
    assert server.stop() == 0
    shutil.rmtree(os.path.join(storage, ".chartmuseum"))
    again = run_server(*_args(storage))
    assert b"mychart:" in again.get("/index.yaml").content


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""


def test_disable_statefiles(run_server, storage) -> None:
    server = run_server(*_args(storage, "--disable-statefiles"))
    server.post("/api/charts", data=make_chart())
    time.sleep(2)
    assert not os.path.exists(os.path.join(storage, "index-cache.yaml"))


def test_warm_restart_matches_storage(run_server, storage) -> None:
    server = run_server(*_args(storage))
    for name in ("keep", "drop"):
        server.post("/api/charts", data=make_chart(name))
    server.stop()
    os.remove(os.path.join(storage, "drop-0.1.0.tgz"))
    with open(os.path.join(storage, "added-1.0.0.tgz"), "wb") as fh:
        fh.write(make_chart("added", "1.0.0"))
    again = run_server(*_args(storage))
    body = again.get("/index.yaml").content
    assert b"keep:" in body and b"added:" in body and b"drop" not in body


def test_invalid_packages_in_storage_are_skipped(run_server, storage) -> None:
    for name, data in [
        ("empty-1.0.0.tgz", b""),
        ("junk-1.0.0.tgz", b"junk"),
        ("good-1.0.0.tgz", make_chart("good", "1.0.0")),
    ]:
        with open(os.path.join(storage, name), "wb") as fh:
            fh.write(data)
    server = run_server(*_args(storage))
    body = server.get("/index.yaml").content
    assert b"good:" in body and b"junk" not in body
    assert "Invalid package in storage" in server.log()


def test_sigterm_clean_shutdown(run_server, storage) -> None:
    server = run_server(*_args(storage))
    assert server.get("/health").status_code == 200
    assert server.stop() == 0


def test_gunicorn_wsgi_entry_point(run_server, storage) -> None:
    from tests.helpers import BIN

    env = {"STORAGE": "local", "STORAGE_LOCAL_ROOTDIR": storage, "WORKERS": "2"}
    server = run_server(command=[os.path.join(BIN, "gunicorn"), "wsgi:application"], env=env)
    assert server.post("/api/charts", data=make_chart()).status_code == 201
    assert b"mychart:" in server.get("/index.yaml").content


def test_reads_during_uploads_never_fail(run_server, storage) -> None:
    """Threads of one worker read the index while other threads change it."""
    server = run_server(*_args(storage, "--workers=1", "--threads=8"))
    for i in range(30):
        server.post("/api/charts", data=make_chart(f"base{i:02d}"))

    def upload(i: int) -> int:
        return server.post("/api/charts", data=make_chart("busy", f"1.0.{i}")).status_code

    def read(i: int) -> int:
        path = ("/index.yaml", "/api/charts", "/api/charts/busy")[i % 3]
        status = _fresh_get(server.url + path).status_code
        return 200 if status == 404 and path.endswith("busy") else status

    with ThreadPoolExecutor(16) as pool:
        writes = [pool.submit(upload, i) for i in range(60)]
        reads = [pool.submit(read, i) for i in range(240)]
        assert [w.result() for w in writes] == [201] * 60
        assert {r.result() for r in reads} == {200}
    assert "Traceback" not in server.log()
