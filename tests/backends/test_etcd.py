"""The etcd backend against a real etcd (Debian etcd-server) through etcd3gw."""

from __future__ import annotations

import base64
import json
import os
import posixpath
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from app.options import Config
from backends.base import BackendConfigError
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageError
from backends.etcd import SINGLE
from backends.etcd import EtcdBackend
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.etcd_server import etcd_server
from tests.backends.servers.etcd_server import make_tls
from tests.e2e.flow import helm_flow
from tests.helpers import BIN
from tests.helpers import free_port


@pytest.fixture(scope="session")
def etcd_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with etcd_server(str(tmp_path_factory.mktemp("etcd"))) as url:
        yield url


@pytest.fixture
def make_backend(etcd_url: str):
    def make(prefix: str, endpoint: str = etcd_url) -> EtcdBackend:
        config = Config(storage="etcd", storage_etcd_endpoint=endpoint, storage_etcd_prefix=prefix)
        return from_config(EtcdBackend, config)

    return make


def _keys(url: str, prefix: str) -> list[bytes]:
    """Every etcd key under ``/<prefix>`` (manifests and chunks alike)."""
    start = f"/{prefix}".encode()
    end = start[:-1] + bytes([start[-1] + 1])
    payload = {
        "key": base64.b64encode(start).decode(),
        "range_end": base64.b64encode(end).decode(),
        "keys_only": True,
    }
    kvs = requests.post(f"{url}/v3/kv/range", json=payload, timeout=10).json().get("kvs", [])
    return [base64.b64decode(kv["key"]) for kv in kvs]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ChartMuseumEtcd:
    """Raw etcd access, writing and reading keys exactly as ChartMuseum 0.16.5 does
    (chartmuseum/storage etcd.go), through etcd's JSON gateway."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.base = "/" + prefix.removesuffix("/").lstrip("/")

    def call(self, op: str, payload: dict) -> dict:
        response = requests.post(f"{self.url}/v3/kv/{op}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def key(self, path: str) -> bytes:
        return posixpath.normpath(posixpath.join(self.base, path)).encode()

    def put_raw(self, key: bytes, value: bytes) -> int:
        """Put one key; returns its mod revision."""
        result = self.call("put", {"key": _b64(key), "value": _b64(value)})
        return int(result["header"]["revision"])

    def get_raw(self, key: bytes) -> bytes | None:
        kvs = self.call("range", {"key": _b64(key)}).get("kvs", [])
        return base64.b64decode(kvs[0].get("value", "")) if kvs else None

    def probe(self) -> None:
        """ChartMuseum's start-up write: an empty value at the base key."""
        self.put_raw(self.base.encode(), b"")

    def put(self, path: str, content: bytes, seconds: int) -> None:
        """PutObject: the content, then (a second request) the timestamp key."""
        self.put_raw(self.key(path), content)
        self.put_raw(self.key(path) + b"/timestamp", str(seconds).encode())

    def delete(self, path: str) -> None:
        """DeleteObject: the content key only, the timestamp key stays behind."""
        self.call("deleterange", {"key": _b64(self.key(path))})

    def get(self, path: str) -> tuple[bytes | None, int]:
        """GetObject: the content and the timestamp key's seconds (the epoch when missing)."""
        stamp = self.get_raw(self.key(path) + b"/timestamp")
        return self.get_raw(self.key(path)), int(stamp) if stamp else 0

    def list(self, repo: str) -> dict[str, bytes]:
        """ListObjects: a prefix range of <base>/<repo>, keeping what ChartMuseum keeps."""
        newpath = posixpath.normpath(posixpath.join(self.base, repo)).encode()
        payload = {"key": _b64(newpath), "range_end": _b64(newpath[:-1] + bytes([newpath[-1] + 1]))}
        found = {}
        for kv in self.call("range", payload).get("kvs", []):
            value = base64.b64decode(kv.get("value", ""))
            path = base64.b64decode(kv["key"]).replace(newpath + b"/", b"", 1)
            if not value or b"/" in path or not path or path.endswith(b"timestamp"):
                continue  # Go's nil value, objectPathIsInvalid, the timestamp filter
            found[path.decode()] = value
        return found


def _package(helm, workdir: str, name: str, description: str) -> bytes:
    """A Helm package ``<name>-0.1.0.tgz`` with the given description."""
    src = os.path.join(workdir, f"src-{name}-{description}")
    os.makedirs(src, exist_ok=True)
    helm.Chart.create(name, src)
    chart_yaml = os.path.join(src, name, "Chart.yaml")
    with open(chart_yaml, encoding="utf-8") as fh:
        text = re.sub(r"(?m)^description:.*$", f"description: {description}", fh.read())
    with open(chart_yaml, "w", encoding="utf-8") as fh:
        fh.write(text)
    with open(helm.package(os.path.join(src, name), destination=src), "rb") as fh:
        return fh.read()


def _created(entry: dict) -> float:
    return datetime.fromisoformat(entry["created"]).timestamp()


class TestEtcd(BackendContract):
    def test_overwrite_and_delete_leave_no_chunks_behind(self, make_backend, etcd_url) -> None:
        prefix = f"gc-{uuid.uuid4().hex[:8]}"
        backend = make_backend(prefix)
        backend.put_object("org/a.tgz", b"1" * (3 * 1024 * 1024 + 5))  # 4 chunks
        assert len(_keys(etcd_url, prefix)) == 5  # a manifest and 4 chunks
        backend.put_object("org/a.tgz", b"small")
        plain = [f"/{prefix}/org/a.tgz".encode(), f"/{prefix}/org/a.tgz/timestamp".encode()]
        assert sorted(_keys(etcd_url, prefix)) == sorted(
            [*plain, f"/{prefix}/org\x00/a.tgz".encode()]
        )
        with pytest.raises(ObjectExists):
            backend.put_object("org/a.tgz", b"x" * (2 * 1024 * 1024), overwrite=False)
        assert len(_keys(etcd_url, prefix)) == 3
        backend.put_object("org/a.tgz", b"2" * (SINGLE + 1))  # plain back to chunked
        assert len(_keys(etcd_url, prefix)) == 3  # a manifest and 2 chunks
        backend.delete_object("org/a.tgz")
        assert _keys(etcd_url, prefix) == []

    def test_fails_over_to_the_next_endpoint(self, make_backend, etcd_url) -> None:
        dead = f"http://127.0.0.1:{free_port()}"
        backend = make_backend(f"fo-{uuid.uuid4().hex[:8]}", endpoint=f"{dead},{etcd_url}")
        backend.put_object("a.tgz", b"a")
        assert [o.path for o in backend.list_objects("")] == ["a.tgz"]

    def test_describe_has_endpoints_and_prefix(self, make_backend, etcd_url) -> None:
        assert make_backend("/charts/").describe() == f"etcd:{etcd_url}/charts"


@pytest.fixture
def pair(make_backend, etcd_url) -> tuple[EtcdBackend, ChartMuseumEtcd]:
    """Our backend and ChartMuseum's view of one fresh prefix."""
    prefix = f"cm-{uuid.uuid4().hex[:8]}"
    return make_backend(prefix), ChartMuseumEtcd(etcd_url, prefix)


SECONDS = 1_700_000_000


class TestChartMuseumLayout:
    """Both ways: ChartMuseum's keys as we see them, ours as ChartMuseum sees them."""

    def test_reads_what_chartmuseum_wrote(self, pair) -> None:
        backend, cm = pair
        cm.probe()
        cm.put("org1/a-1.0.0.tgz", b"aaa", SECONDS)
        cm.put("b.tgz", b"bbbb", SECONDS + 1)
        expected = ObjectInfo("a-1.0.0.tgz", SECONDS * 10**9, 3)
        assert backend.list_objects("org1") == [expected]
        assert backend.list_objects("") == [ObjectInfo("b.tgz", (SECONDS + 1) * 10**9, 4)]
        obj = backend.get_object("org1/a-1.0.0.tgz")
        assert (obj.content, obj.last_modified_ns) == (b"aaa", SECONDS * 10**9)
        assert backend.stat_object("org1/a-1.0.0.tgz") == ObjectInfo(
            "org1/a-1.0.0.tgz", SECONDS * 10**9, 3
        )
        assert backend.stat_object("") is None  # the base key is no object

    def test_deletes_what_chartmuseum_wrote(self, pair, etcd_url) -> None:
        backend, cm = pair
        cm.put("org1/a.tgz", b"aaa", SECONDS)
        backend.list_objects("org1")  # adopts it: private metadata written
        backend.delete_object("org1/a.tgz")
        assert _keys(etcd_url, cm.base.lstrip("/")) == []  # timestamp and metadata too
        with pytest.raises(ObjectNotFound):
            backend.delete_object("org1/a.tgz")

    def test_orphan_timestamps_and_stale_metadata_are_ignored(self, pair) -> None:
        backend, cm = pair
        cm.put("org1/theirs.tgz", b"x", SECONDS)
        cm.delete("org1/theirs.tgz")  # leaves org1/theirs.tgz/timestamp behind
        backend.put_object("org1/ours.tgz", b"ours")
        cm.delete("org1/ours.tgz")  # leaves the timestamp and our metadata behind
        assert cm.get_raw(cm.key("org1/ours.tgz") + b"/timestamp") is not None
        assert backend.list_objects("org1") == []
        for path in ("org1/theirs.tgz", "org1/ours.tgz"):
            assert backend.stat_object(path) is None
            with pytest.raises(ObjectNotFound):
                backend.get_object(path)
            with pytest.raises(ObjectNotFound):
                backend.delete_object(path)
        cm.delete("org1/again.tgz")
        backend.put_object("org1/again.tgz", b"1")
        cm.delete("org1/again.tgz")
        backend.put_object("org1/again.tgz", b"22", overwrite=False)  # stale metadata: no block
        assert backend.get_object("org1/again.tgz").content == b"22"

    def test_chartmuseum_overwriting_ours_is_seen(self, pair) -> None:
        backend, cm = pair
        backend.put_object("org1/a.tgz", b"ours")
        assert backend.list_objects("org1")[0].size == 4
        cm.put("org1/a.tgz", b"THEM", SECONDS)  # same size: the time tells the change
        assert backend.list_objects("org1") == [ObjectInfo("a.tgz", SECONDS * 10**9, 4)]
        cm.put("org1/a.tgz", b"longer", SECONDS)  # same time: the size tells the change
        assert backend.list_objects("org1") == [ObjectInfo("a.tgz", SECONDS * 10**9, 6)]
        assert backend.get_object("org1/a.tgz").content == b"longer"
        assert backend.stat_object("org1/a.tgz") == ObjectInfo("org1/a.tgz", SECONDS * 10**9, 6)

    def test_listing_adopts_once_then_reads_keys_only(self, pair, monkeypatch) -> None:
        backend, cm = pair
        for i in range(3):
            cm.put(f"org1/c{i}.tgz", b"c" * i, SECONDS + i)
        first = backend.list_objects("org1")
        meta = json.loads(cm.get_raw(f"{cm.base}/org1\x00/c1.tgz".encode()) or b"{}")
        assert meta["size"] == 1 and meta["modified"] == (SECONDS + 1) * 10**9
        calls: list[tuple[str, dict]] = []
        call = backend._call
        monkeypatch.setattr(
            backend, "_call", lambda op, body: calls.append((op, body)) or call(op, body)
        )
        assert backend.list_objects("org1") == first
        assert [op for op, _ in calls] == ["/kv/range", "/kv/range"]  # no read of any value
        assert base64.b64decode(calls[0][1]["key"]).endswith(b"org1\x00")  # metadata only
        assert calls[1][1]["keys_only"] is True
        cm.put("org1/c1.tgz", b"new!", SECONDS + 9)
        assert backend.list_objects("org1")[1] == ObjectInfo("c1.tgz", (SECONDS + 9) * 10**9, 4)

    def test_small_pages_skip_nested_folders(self, pair, monkeypatch) -> None:
        backend, cm = pair
        for name in ("a.tgz", "b.tgz", "c.tgz", "d.tgz"):
            backend.put_object(f"org1/{name}", b"x")
        for i in range(12):  # a nested folder sorting between b.tgz and its timestamp key
            backend.put_object(f"org1/b.tgz.d/n{i:02d}.tgz", b"y")
        cm.put("org1/e.tgz", b"e", SECONDS)
        monkeypatch.setattr("backends.etcd.PAGE", 3)
        calls: list[tuple[str, dict]] = []
        call = backend._call
        monkeypatch.setattr(
            backend, "_call", lambda op, body: calls.append((op, body)) or call(op, body)
        )
        names = ["a.tgz", "b.tgz", "c.tgz", "d.tgz", "e.tgz"]
        assert [o.path for o in backend.list_objects("org1")] == names
        pages = [body for op, body in calls if body.get("keys_only") is True]
        # org1's 10 keys in 4 pages, one page of the 24 nested keys, one of the nested metadata
        assert len(pages) == 6
        calls.clear()
        assert [o.path for o in backend.list_objects("org1")] == names
        assert {op for op, _ in calls} == {"/kv/range"}  # e.tgz adopted: keys only now

    def test_listing_retries_when_its_revision_is_compacted(self, pair, monkeypatch) -> None:
        backend, cm = pair
        backend.put_object("a.tgz", b"a")
        call, compacted = backend._call, []

        def compact_after_first_page(op: str, body: dict) -> dict:
            result = call(op, body)
            if not compacted:  # the metadata page pinned a revision: compact past it
                cm.put_raw(b"/compaction-filler", b"x")
                revision = int(call("/kv/range", {"key": _b64(b"/")})["header"]["revision"])
                compacted.append(cm.call("compaction", {"revision": revision, "physical": True}))
            return result

        monkeypatch.setattr(backend, "_call", compact_after_first_page)
        assert [o.path for o in backend.list_objects("")] == ["a.tgz"]
        assert compacted

    def test_missing_or_older_timestamp_falls_back_to_the_revision(self, pair) -> None:
        backend, cm = pair
        revision = cm.put_raw(cm.key("a.tgz"), b"aaa")  # no timestamp key at all
        assert backend.list_objects("") == [ObjectInfo("a.tgz", revision * 10**9, 3)]
        assert backend.get_object("a.tgz").last_modified_ns == revision * 10**9
        cm.put_raw(cm.key("b.tgz") + b"/timestamp", str(SECONDS).encode())
        revision = cm.put_raw(cm.key("b.tgz"), b"b")  # the timestamp predates this content
        assert backend.stat_object("b.tgz") == ObjectInfo("b.tgz", revision * 10**9, 1)
        cm.put_raw(cm.key("b.tgz") + b"/timestamp", str(SECONDS).encode())
        assert backend.list_objects("")[1] == ObjectInfo("b.tgz", SECONDS * 10**9, 1)
        again = cm.put_raw(cm.key("a.tgz"), b"AAA")  # same size, new revision: a new time
        assert backend.list_objects("")[0] == ObjectInfo("a.tgz", again * 10**9, 3)

    def test_writes_what_chartmuseum_reads(self, pair) -> None:
        backend, cm = pair
        cm.probe()
        info = backend.put_object("org1/a-1.0.0.tgz", b"abc")
        backend.put_object("org1/a-1.0.0.tgz.prov", b"sig")
        backend.put_object("org1/team/b.tgz", b"bb")
        backend.put_object("c.tgz", b"c")
        backend.put_object("org1/big.tgz", os.urandom(SINGLE + 1))
        assert cm.get_raw(cm.key("org1/a-1.0.0.tgz")) == b"abc"
        seconds = str(info.last_modified_ns // 10**9).encode()
        assert cm.get_raw(cm.key("org1/a-1.0.0.tgz") + b"/timestamp") == seconds
        assert cm.get("org1/a-1.0.0.tgz") == (b"abc", int(seconds))
        # private keys stay out of every listing: own folder, parent, depth 0
        assert cm.list("org1") == {"a-1.0.0.tgz": b"abc", "a-1.0.0.tgz.prov": b"sig"}
        assert cm.list("org1/team") == {"b.tgz": b"bb"}
        assert cm.list("") == {"c.tgz": b"c"}
        assert cm.list("org") == {}

    def test_chartmuseum_delete_of_ours(self, pair) -> None:
        backend, cm = pair
        backend.put_object("org1/a.tgz", b"a")
        cm.delete("org1/a.tgz")
        assert cm.list("org1") == {}
        assert backend.list_objects("org1") == []

    def test_size_threshold(self, pair) -> None:
        backend, cm = pair
        fits, large = os.urandom(SINGLE), os.urandom(SINGLE + 1)
        backend.put_object("fits.tgz", fits)  # one etcd request under the default limit
        backend.put_object("large.tgz", large)
        assert cm.get_raw(cm.key("fits.tgz")) == fits
        assert cm.get_raw(cm.key("large.tgz")) is None
        manifest = json.loads(cm.get_raw(f"{cm.base}\x00/large.tgz".encode()) or b"{}")
        assert manifest["chunks"] == 2 and manifest["size"] == SINGLE + 1
        assert backend.get_object("large.tgz").content == large
        assert {o.path: o.size for o in backend.list_objects("")} == {
            "fits.tgz": SINGLE,
            "large.tgz": SINGLE + 1,
        }
        assert cm.list("") == {"fits.tgz": fits}

    def test_chartmuseum_writing_over_our_large_object(self, pair, etcd_url) -> None:
        backend, cm = pair
        backend.put_object("org1/a.tgz", os.urandom(SINGLE + 1))
        cm.put("org1/a.tgz", b"small", SECONDS)  # newer than our manifest: it wins
        assert backend.get_object("org1/a.tgz").content == b"small"
        assert backend.list_objects("org1") == [ObjectInfo("a.tgz", SECONDS * 10**9, 5)]
        keys = _keys(etcd_url, cm.base.lstrip("/"))  # the listing dropped the old chunks
        assert sorted(keys) == sorted(
            [
                cm.key("org1/a.tgz"),
                cm.key("org1/a.tgz") + b"/timestamp",
                f"{cm.base}/org1\x00/a.tgz".encode(),
            ]
        )

    def test_chartmuseum_overwrite_then_delete_of_our_large_object(self, pair, etcd_url) -> None:
        backend, cm = pair
        backend.put_object("org1/b.tgz", os.urandom(SINGLE + 1))
        cm.put("org1/b.tgz", b"small", SECONDS)
        cm.delete("org1/b.tgz")  # its orphan timestamp is newer than our manifest
        assert backend.list_objects("org1") == []
        assert backend.stat_object("org1/b.tgz") is None
        with pytest.raises(ObjectNotFound):
            backend.get_object("org1/b.tgz")
        backend.put_object("org1/b.tgz", b"again", overwrite=False)
        assert backend.get_object("org1/b.tgz").content == b"again"
        assert len(_keys(etcd_url, cm.base.lstrip("/"))) == 3  # the old chunks are gone
        cm.delete("org1/b.tgz")
        backend.put_object("org1/c.tgz", os.urandom(SINGLE + 1))
        cm.put("org1/c.tgz", b"small", SECONDS)
        cm.delete("org1/c.tgz")
        with pytest.raises(ObjectNotFound):  # but the left-overs are cleaned up
            backend.delete_object("org1/c.tgz")
        with pytest.raises(ObjectNotFound):
            backend.delete_object("org1/b.tgz")
        assert _keys(etcd_url, cm.base.lstrip("/")) == []

    def test_reads_and_replaces_the_previous_release_layout(self, pair, etcd_url) -> None:
        backend, cm = pair
        for name, body in (("old.tgz", b"o" * (SINGLE + 10)), ("gone.tgz", b"g")):
            chunks = [body[:SINGLE], body[SINGLE:]] if len(body) > SINGLE else [body]
            manifest = {
                "size": len(body),
                "modified": SECONDS * 10**9,
                "id": "ab12",
                "chunks": len(chunks),
            }
            cm.put_raw(f"{cm.base}/org1\x00{name}".encode(), json.dumps(manifest).encode())
            for i, chunk in enumerate(chunks):
                cm.put_raw(cm.key(f"org1/{name}") + b"\x01ab12\x01%08d" % i, chunk)
        assert backend.list_objects("org1") == [
            ObjectInfo("gone.tgz", SECONDS * 10**9, 1),
            ObjectInfo("old.tgz", SECONDS * 10**9, SINGLE + 10),
        ]
        assert backend.get_object("org1/old.tgz").content == b"o" * (SINGLE + 10)
        assert backend.stat_object("org1/gone.tgz") == ObjectInfo(
            "org1/gone.tgz", SECONDS * 10**9, 1
        )
        with pytest.raises(ObjectExists):
            backend.put_object("org1/old.tgz", b"new", overwrite=False)
        backend.put_object("org1/old.tgz", b"new")
        backend.delete_object("org1/gone.tgz")
        assert backend.list_objects("org1")[0].size == 3
        assert cm.list("org1") == {"old.tgz": b"new"}
        assert len(_keys(etcd_url, cm.base.lstrip("/"))) == 3  # legacy manifests, chunks gone

    @pytest.mark.parametrize("size", [10, SINGLE + 10], ids=["plain", "chunked"])
    @pytest.mark.parametrize("stale", [False, True], ids=["fresh", "stale-metadata"])
    def test_concurrent_creates_one_winner(self, pair, etcd_url, size, stale) -> None:
        backend, cm = pair
        if stale:  # our metadata left behind by a ChartMuseum delete
            backend.put_object("race.tgz", b"old")
            cm.delete("race.tgz")
        results: list[bytes | None] = []

        def create(i: int) -> None:
            body = bytes([65 + i]) * size
            try:
                backend.put_object("race.tgz", body, overwrite=False)
                results.append(body)
            except ObjectExists:
                results.append(None)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [r for r in results if r is not None]
        assert len(results) == 6 and len(winners) == 1
        assert backend.get_object("race.tgz").content == winners[0]
        # plain key, timestamp, metadata; or manifest and 2 chunks: no loser's chunks left
        assert len(_keys(etcd_url, cm.base.lstrip("/"))) == 3


@pytest.fixture(scope="module")
def etcd_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    folder = str(tmp_path_factory.mktemp("etcd-tls"))
    tls = make_tls(folder)
    with etcd_server(folder, tls) as url:
        yield url, tls


def test_tls_endpoint_with_client_certificate(etcd_tls) -> None:
    url, tls = etcd_tls
    options = {
        "storage": "etcd",
        "storage_etcd_endpoint": url,
        "storage_etcd_prefix": "tls",
        "storage_etcd_cafile": tls["ca_cert"],
        "storage_etcd_certfile": tls["client_cert"],
        "storage_etcd_keyfile": tls["client_key"],
    }
    backend = from_config(EtcdBackend, Config(**options))
    backend.put_object("org/a.tgz", b"secure")
    assert backend.get_object("org/a.tgz").content == b"secure"
    assert [o.path for o in backend.list_objects("org")] == ["a.tgz"]
    options["storage_etcd_cafile"] = tls["server_cert"]  # not the CA: verification fails
    with pytest.raises(StorageError, match="no endpoint reachable"):
        from_config(EtcdBackend, Config(**options)).list_objects("org")


def test_tls_files_are_required_only_for_https() -> None:
    with pytest.raises(BackendConfigError) as err:
        from_config(EtcdBackend, Config(storage="etcd", storage_etcd_endpoint="https://e:2379"))
    assert str(err.value) == (
        "Missing required flags(s): --storage-etcd-cafile, --storage-etcd-certfile, "
        "--storage-etcd-keyfile, --storage-etcd-prefix"
    )
    backend = from_config(EtcdBackend, Config(storage="etcd", storage_etcd_prefix="p"))
    assert backend.endpoints == [("http", "localhost", 2379)]


def test_startup_without_required_flags_fails() -> None:
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=etcd"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-etcd-prefix" in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, etcd_url) -> None:
    prefix = f"/e2e-{uuid.uuid4().hex[:8]}"
    cm = ChartMuseumEtcd(etcd_url, prefix)
    cm.probe()
    cm.put("seeded-0.1.0.tgz", _package(helm, str(tmp_path), "seeded", "by ChartMuseum"), SECONDS)
    server = run_server(
        "--storage=etcd", f"--storage-etcd-endpoint={etcd_url}", f"--storage-etcd-prefix={prefix}"
    )
    helm_flow(server, helm, keyring, str(tmp_path))
    entries = helm.repo_index(server.url)["entries"]
    assert [e["version"] for e in entries["seeded"]] == ["0.1.0"]
    assert _created(entries["seeded"][0]) == SECONDS
    packages = {name for name in cm.list("") if name.endswith((".tgz", ".prov"))}
    assert packages == {"seeded-0.1.0.tgz", "flow-0.2.0.tgz", "flow-0.2.0.tgz.prov"}


@pytest.mark.e2e
def test_index_follows_chartmuseum_writes(run_server, helm, tmp_path, etcd_url) -> None:
    prefix = f"/e2e-{uuid.uuid4().hex[:8]}"
    cm = ChartMuseumEtcd(etcd_url, prefix)
    server = run_server(
        "--storage=etcd",
        f"--storage-etcd-endpoint={etcd_url}",
        f"--storage-etcd-prefix={prefix}",
        "--always-regenerate-chart-index",
    )
    assert "cmchart" not in helm.repo_index(server.url)["entries"]
    cm.put("cmchart-0.1.0.tgz", _package(helm, str(tmp_path), "cmchart", "first"), SECONDS)
    entry = helm.repo_index(server.url)["entries"]["cmchart"][0]
    assert (entry["description"], _created(entry)) == ("first", SECONDS)
    cm.put("cmchart-0.1.0.tgz", _package(helm, str(tmp_path), "cmchart", "second"), SECONDS + 60)
    entry = helm.repo_index(server.url)["entries"]["cmchart"][0]
    assert (entry["description"], _created(entry)) == ("second", SECONDS + 60)
    cm.delete("cmchart-0.1.0.tgz")
    assert "cmchart" not in helm.repo_index(server.url)["entries"]
