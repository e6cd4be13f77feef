"""The Azure Blob backend against Azurite (contract, configuration, startup, Helm flow)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from app.options import Config
from backends import BackendUnavailable
from backends.base import BackendConfigError
from backends.base import StorageError
from backends.microsoft import MicrosoftBlobBackend
from backends.microsoft import account_url
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.azurite_server import ACCOUNT
from tests.backends.servers.azurite_server import KEY
from tests.backends.servers.azurite_server import azurite
from tests.backends.servers.azurite_server import connection_string
from tests.e2e.flow import helm_flow
from tests.helpers import BIN

CONTAINER = f"charts-{uuid.uuid4().hex[:8]}"
AZURE_VARS = (
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_BASE_URL",
    "AZURE_API_VERSION",
    "AZURE_STORAGE_CONNECTION_STRING",
)


@pytest.fixture(scope="session")
def azurite_url() -> Iterator[str]:
    from azure.storage.blob import BlobServiceClient

    with azurite() as url:
        BlobServiceClient.from_connection_string(connection_string(url)).create_container(CONTAINER)
        yield url


@pytest.fixture
def no_azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AZURE_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def azure_env(azurite_url: str, no_azure_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", KEY)
    monkeypatch.setenv("AZURE_BASE_URL", azurite_url)
    return azurite_url


def _backend(container: str, prefix: str = "") -> MicrosoftBlobBackend:
    config = Config(
        storage="microsoft",
        storage_microsoft_container=container,
        storage_microsoft_prefix=prefix,
    )
    return from_config(MicrosoftBlobBackend, config)


@pytest.fixture
def make_backend(azure_env: str):
    return lambda prefix: _backend(CONTAINER, prefix)


class TestMicrosoft(BackendContract):
    def test_block_blobs_and_describe(self, backend: MicrosoftBlobBackend, azure_env) -> None:
        backend.put_object("a.tgz", b"a")
        blob = backend._container().get_blob_client(f"{backend.prefix}/a.tgz")
        assert blob.get_blob_properties().blob_type == "BlockBlob"
        assert backend.describe() == f"microsoft:{azure_env}/{CONTAINER}/{backend.prefix}"
        assert backend.change_token("") is None

    def test_missing_container_is_a_storage_error(self, azure_env: str) -> None:
        backend = _backend("no-such-container")
        for call in (lambda: backend.list_objects(""), lambda: backend.get_object("a.tgz")):
            with pytest.raises(StorageError, match="container no-such-container not found"):
                call()

    def test_wrong_key_is_a_storage_error(self, azure_env: str, monkeypatch) -> None:
        monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", "d3Jvbmcta2V5")
        with pytest.raises(StorageError, match="authentication failed") as info:
            _backend(CONTAINER).list_objects("")
        assert "d3Jvbmcta2V5" not in str(info.value)

    def test_connection_string(self, azurite_url, no_azure_env, monkeypatch) -> None:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(azurite_url))
        backend = _backend(CONTAINER, f"conn-{uuid.uuid4().hex[:8]}")
        backend.put_object("c.tgz", b"c")
        assert backend.get_object("c.tgz").content == b"c"
        assert KEY not in backend.describe()

    def test_base_url_without_account_path(self, azure_env: str, monkeypatch) -> None:
        monkeypatch.setenv("AZURE_BASE_URL", azure_env.rsplit("/", 1)[0])
        backend = _backend(CONTAINER, f"bare-{uuid.uuid4().hex[:8]}")
        backend.put_object("b.tgz", b"b")
        assert [o.path for o in backend.list_objects("")] == ["b.tgz"]

    def test_api_version(self, azure_env: str, monkeypatch) -> None:
        monkeypatch.setenv("AZURE_API_VERSION", "2021-08-06")
        assert _backend(CONTAINER).list_objects("nothing") == []
        monkeypatch.setenv("AZURE_API_VERSION", "1999-01-01")
        with pytest.raises(BackendConfigError, match="1999-01-01"):
            _backend(CONTAINER)


@pytest.mark.parametrize(
    "base, expected",
    [
        ("", "https://acct.blob.core.windows.net"),
        ("core.chinacloudapi.cn", "https://acct.blob.core.chinacloudapi.cn"),
        ("https://acct.blob.example.net/", "https://acct.blob.example.net"),
        ("http://127.0.0.1:10000", "http://127.0.0.1:10000/acct"),
        ("http://localhost:10000/acct", "http://localhost:10000/acct"),
    ],
)
def test_account_url(base: str, expected: str) -> None:
    assert account_url("acct", base) == expected


def test_emulator_account_defaults_to_azurite() -> None:
    assert account_url(ACCOUNT, "") == "http://127.0.0.1:10000/devstoreaccount1"


def test_missing_container_flag(no_azure_env) -> None:
    with pytest.raises(
        BackendConfigError, match=r"^Missing required flags\(s\): --storage-microsoft-container$"
    ):
        from_config(MicrosoftBlobBackend, Config(storage="microsoft"))


@pytest.mark.parametrize("present", ["AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCESS_KEY", ""])
def test_missing_credentials(no_azure_env, monkeypatch, present: str) -> None:
    if present:
        monkeypatch.setenv(present, KEY)
    with pytest.raises(
        BackendConfigError, match="AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_ACCESS_KEY"
    ):
        _backend("c")


def test_key_must_be_base64(no_azure_env, monkeypatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct")
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", "not base64!")
    with pytest.raises(BackendConfigError, match="base64"):
        _backend("c")


def test_sdk_missing_is_backend_unavailable(monkeypatch) -> None:
    from backends import microsoft

    monkeypatch.setitem(sys.modules, "azure.storage.blob", None)
    with pytest.raises(BackendUnavailable, match=r"pip install 'chartmuseum\[microsoft\]'"):
        microsoft._sdk()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in AZURE_VARS}
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_startup_without_container_exits_1() -> None:
    result = _run("--storage=microsoft")
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-microsoft-container" in result.stderr


def test_startup_without_credentials_exits_1() -> None:
    result = _run("--storage=microsoft", "--storage-microsoft-container=c")
    assert result.returncode == 1, result.stderr
    assert "AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_ACCESS_KEY" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow(azurite_url: str, run_server, helm, keyring, tmp_path) -> None:
    server = run_server(
        "--storage=microsoft",
        f"--storage-microsoft-container={CONTAINER}",
        f"--storage-microsoft-prefix=e2e-{uuid.uuid4().hex[:8]}",
        env={
            "AZURE_STORAGE_ACCOUNT": ACCOUNT,
            "AZURE_STORAGE_ACCESS_KEY": KEY,
            "AZURE_BASE_URL": azurite_url,
        },
    )
    helm_flow(server, helm, keyring, str(tmp_path))
