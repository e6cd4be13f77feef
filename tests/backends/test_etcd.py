"""The etcd backend against a real etcd (Debian etcd-server) through etcd3gw."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Iterator

import pytest
import requests

from app.errors import ConfigError
from app.options import Config
from backends.base import ObjectExists
from backends.base import StorageError
from backends.etcd import EtcdBackend
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
        return EtcdBackend.from_config(config)

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


class TestEtcd(BackendContract):
    def test_overwrite_and_delete_leave_no_chunks_behind(self, make_backend, etcd_url) -> None:
        prefix = f"gc-{uuid.uuid4().hex[:8]}"
        backend = make_backend(prefix)
        backend.put_object("org/a.tgz", b"1" * (3 * 1024 * 1024 + 5))  # 4 chunks
        backend.put_object("org/a.tgz", b"small")
        assert len(_keys(etcd_url, prefix)) == 2  # one manifest, one chunk
        with pytest.raises(ObjectExists):
            backend.put_object("org/a.tgz", b"x" * (2 * 1024 * 1024), overwrite=False)
        assert len(_keys(etcd_url, prefix)) == 2
        backend.delete_object("org/a.tgz")
        assert _keys(etcd_url, prefix) == []

    def test_fails_over_to_the_next_endpoint(self, make_backend, etcd_url) -> None:
        dead = f"http://127.0.0.1:{free_port()}"
        backend = make_backend(f"fo-{uuid.uuid4().hex[:8]}", endpoint=f"{dead},{etcd_url}")
        backend.put_object("a.tgz", b"a")
        assert [o.path for o in backend.list_objects("")] == ["a.tgz"]

    def test_describe_has_endpoints_and_prefix(self, make_backend, etcd_url) -> None:
        assert make_backend("/charts/").describe() == f"etcd:{etcd_url}/charts"


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
    backend = EtcdBackend.from_config(Config(**options))
    backend.put_object("org/a.tgz", b"secure")
    assert backend.get_object("org/a.tgz").content == b"secure"
    assert [o.path for o in backend.list_objects("org")] == ["a.tgz"]
    options["storage_etcd_cafile"] = tls["server_cert"]  # not the CA: verification fails
    with pytest.raises(StorageError, match="no endpoint reachable"):
        EtcdBackend.from_config(Config(**options)).list_objects("org")


def test_tls_files_are_required_only_for_https() -> None:
    with pytest.raises(ConfigError) as err:
        EtcdBackend.from_config(Config(storage="etcd", storage_etcd_endpoint="https://e:2379"))
    assert str(err.value) == (
        "Missing required flags(s): --storage-etcd-cafile, --storage-etcd-certfile, "
        "--storage-etcd-keyfile, --storage-etcd-prefix"
    )
    backend = EtcdBackend.from_config(Config(storage="etcd", storage_etcd_prefix="p"))
    assert backend.endpoints == [("http", "localhost", 2379)]


def test_startup_without_required_flags_fails() -> None:
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=etcd"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-etcd-prefix" in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, etcd_url) -> None:
    server = run_server(
        "--storage=etcd",
        f"--storage-etcd-endpoint={etcd_url}",
        f"--storage-etcd-prefix=/e2e-{uuid.uuid4().hex[:8]}",
    )
    helm_flow(server, helm, keyring, str(tmp_path))
