"""The Baidu BOS backend, through the real bce-python-sdk, against the test-only BOS fake."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from app.options import Config
from backends.baidu import BaiduBOSBackend
from backends.base import BackendConfigError
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.bos_server import fake_bos
from tests.e2e.flow import helm_flow
from tests.helpers import BIN

AK, SK, BUCKET = "fake-ak-0123456789", "fake-sk-abcdefghijklmnop", "charts"
CREDENTIALS = {"BAIDU_CLOUD_ACCESS_KEY_ID": AK, "BAIDU_CLOUD_ACCESS_KEY_SECRET": SK}


@pytest.fixture(scope="session")
def bos_endpoint() -> Iterator[str]:
    with fake_bos(AK, SK, [BUCKET]) as endpoint:
        yield endpoint


@pytest.fixture
def make_backend(bos_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)

    def make(prefix: str) -> BaiduBOSBackend:
        config = Config(
            storage="baidu",
            storage_baidu_bucket=BUCKET,
            storage_baidu_prefix=prefix,
            storage_baidu_endpoint=bos_endpoint,
        )
        return from_config(BaiduBOSBackend, config)

    return make


class TestBaidu(BackendContract):
    def test_wrong_secret_is_a_storage_error(self, make_backend, monkeypatch) -> None:
        monkeypatch.setenv("BAIDU_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
        backend = make_backend("bad-secret")
        with pytest.raises(Exception, match="403 SignatureDoesNotMatch") as err:
            backend.list_objects("")
        assert "not-the-secret" not in str(err.value)

    def test_describe(self, make_backend) -> None:
        assert make_backend("/p/").describe() == f"baidu:bos://{BUCKET}/p"


def test_credentials_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAIDU_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("BAIDU_CLOUD_ACCESS_KEY_SECRET", SK)
    with pytest.raises(BackendConfigError, match="BAIDU_CLOUD_ACCESS_KEY_ID"):
        from_config(BaiduBOSBackend, Config(storage="baidu", storage_baidu_bucket=BUCKET))


def test_default_endpoint_is_https(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    backend = from_config(BaiduBOSBackend, Config(storage="baidu", storage_baidu_bucket=BUCKET))
    assert backend.endpoint == "https://bj.bcebos.com"


def test_startup_without_required_flags_fails() -> None:
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=baidu"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-baidu-bucket" in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, bos_endpoint) -> None:
    server = run_server(
        "--storage=baidu",
        f"--storage-baidu-bucket={BUCKET}",
        f"--storage-baidu-prefix=e2e-{uuid.uuid4().hex[:8]}",
        f"--storage-baidu-endpoint={bos_endpoint}",
        env=CREDENTIALS,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
