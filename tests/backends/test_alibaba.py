"""The alibaba (OSS) backend against moto's S3 app behind the s3compat shim."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from app.options import Config
from backends.alibaba import AlibabaOSSBackend
from backends.alibaba import region_of
from backends.base import BackendConfigError
from backends.base import StorageError
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.s3compat_shim import running
from tests.e2e.flow import helm_flow
from tests.helpers import BIN
from tests.helpers import free_port

BUCKET = "oss-charts"
OSS_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "test-key-id",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "test-key-secret",
}


@pytest.fixture(scope="session")
def oss_endpoint() -> Iterator[str]:
    with running(free_port(), [BUCKET]) as url:
        yield url


@pytest.fixture
def oss_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OSS_ENV.items():
        monkeypatch.setenv(name, value)


def _config(endpoint: str, prefix: str, **extra: object) -> Config:
    options: dict[str, object] = {
        "storage": "alibaba",
        "storage_alibaba_bucket": BUCKET,
        "storage_alibaba_prefix": prefix,
        "storage_alibaba_endpoint": endpoint,
        **extra,
    }
    return Config(**options)  # type: ignore[arg-type]


@pytest.fixture
def make_backend(oss_endpoint: str, oss_env: None):
    return lambda prefix: from_config(AlibabaOSSBackend, _config(oss_endpoint, prefix))


class TestAlibaba(BackendContract):
    def test_prefix_slashes_are_stripped(self, oss_endpoint: str, oss_env: None) -> None:
        base = f"strip-{uuid.uuid4().hex[:8]}"
        slashed = from_config(AlibabaOSSBackend, _config(oss_endpoint, f"/{base}/nested/"))
        slashed.put_object("org/a.tgz", b"a")
        plain = from_config(AlibabaOSSBackend, _config(oss_endpoint, base))
        assert [o.path for o in plain.list_objects("nested/org")] == ["a.tgz"]
        assert slashed.describe() == f"alibaba:oss://{BUCKET}/{base}/nested at {oss_endpoint}"

    def test_server_side_encryption_is_accepted(self, oss_endpoint: str, oss_env: None) -> None:
        prefix = f"sse-{uuid.uuid4().hex[:8]}"
        backend = from_config(
            AlibabaOSSBackend, _config(oss_endpoint, prefix, storage_alibaba_sse="AES256")
        )
        assert backend.put_object("a.tgz", b"a", overwrite=False).size == 1
        assert backend.get_object("a.tgz").content == b"a"

    def test_unreachable_store_is_a_storage_error(self, oss_env: None) -> None:
        backend = from_config(AlibabaOSSBackend, _config(f"http://127.0.0.1:{free_port()}", "x"))
        with pytest.raises(StorageError) as info:
            backend.stat_object("a.tgz")
        assert "test-key-secret" not in str(info.value)

    def test_endpoint_defaults_and_signature(self, oss_env: None) -> None:
        backend = from_config(AlibabaOSSBackend, _config("", "p"))
        assert backend.endpoint == "https://oss-cn-hangzhou.aliyuncs.com"
        assert backend.describe() == f"alibaba:oss://{BUCKET}/p at {backend.endpoint}"
        assert "test-key" not in backend.describe()
        import oss2

        assert isinstance(backend._make_bucket().auth, oss2.ProviderAuthV4)
        other = from_config(AlibabaOSSBackend, _config("http://oss.example.com", "p"))
        assert isinstance(other._make_bucket().auth, oss2.Auth)

    @pytest.mark.parametrize(
        "endpoint, region",
        [
            ("https://oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
            ("https://oss-eu-central-1-internal.aliyuncs.com", "eu-central-1"),
            ("https://oss-accelerate.aliyuncs.com", ""),
            ("http://127.0.0.1:9000", ""),
        ],
    )
    def test_region_of(self, endpoint: str, region: str) -> None:
        assert region_of(endpoint) == region

    def test_missing_credentials_is_a_config_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "x")
        with pytest.raises(BackendConfigError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
            from_config(AlibabaOSSBackend, _config("", "p"))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_")}
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )


def test_startup_requires_bucket() -> None:
    result = _run("--storage=alibaba", env=OSS_ENV)
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-alibaba-bucket" in result.stderr


def test_startup_without_credentials_fails_cleanly() -> None:
    result = _run("--storage=alibaba", "--storage-alibaba-bucket=b", env={})
    assert result.returncode == 1
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, oss_endpoint: str) -> None:
    server = run_server(
        "--storage=alibaba",
        f"--storage-alibaba-bucket={BUCKET}",
        f"--storage-alibaba-prefix=e2e-{uuid.uuid4().hex[:8]}",
        f"--storage-alibaba-endpoint={oss_endpoint}",
        env=OSS_ENV,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
