"""The tencent (COS) backend against moto's S3 app behind the s3compat shim."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from app.options import Config
from backends.base import BackendConfigError
from backends.base import StorageError
from backends.tencent import TencentCOSBackend
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.s3compat_shim import running
from tests.e2e.flow import helm_flow
from tests.helpers import BIN
from tests.helpers import free_port

BUCKET = "charts-1250000000"
COS_ENV = {
    "TENCENT_CLOUD_COS_SECRET_ID": "test-secret-id",
    "TENCENT_CLOUD_COS_SECRET_KEY": "test-secret-key",
}


@pytest.fixture(scope="session")
def cos_endpoint() -> Iterator[str]:
    with running(free_port(), [BUCKET]) as url:
        yield url


@pytest.fixture
def cos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in COS_ENV.items():
        monkeypatch.setenv(name, value)


def _config(endpoint: str, prefix: str, **extra: object) -> Config:
    options: dict[str, object] = {
        "storage": "tencent",
        "storage_tencent_bucket": BUCKET,
        "storage_tencent_prefix": prefix,
        "storage_tencent_endpoint": endpoint,
        **extra,
    }
    return Config(**options)  # type: ignore[arg-type]


@pytest.fixture
def make_backend(cos_endpoint: str, cos_env: None):
    return lambda prefix: from_config(TencentCOSBackend, _config(cos_endpoint, prefix))


class TestTencent(BackendContract):
    def test_prefix_slashes_are_stripped(self, cos_endpoint: str, cos_env: None) -> None:
        base = f"strip-{uuid.uuid4().hex[:8]}"
        slashed = from_config(TencentCOSBackend, _config(cos_endpoint, f"/{base}/nested/"))
        slashed.put_object("org/a.tgz", b"a")
        plain = from_config(TencentCOSBackend, _config(cos_endpoint, base))
        assert [o.path for o in plain.list_objects("nested/org")] == ["a.tgz"]
        assert slashed.describe() == f"tencent:cos://{BUCKET}/{base}/nested at {cos_endpoint}"

    def test_https_by_default(self, cos_env: None) -> None:
        backend = from_config(TencentCOSBackend, _config("", "p"))
        url = backend._make_client()._conf.uri(bucket=BUCKET, path="p/a.tgz")
        assert url == f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/p/a.tgz"
        other = from_config(TencentCOSBackend, _config("cos.ap-beijing.myqcloud.com", "p"))
        assert (
            other.describe() == f"tencent:cos://{BUCKET}/p at https://cos.ap-beijing.myqcloud.com"
        )
        assert "test-secret" not in other.describe()

    def test_address_endpoint_sends_bucket_host(self, cos_env: None) -> None:
        backend = from_config(TencentCOSBackend, _config("http://127.0.0.1:9000", "p"))
        conf = backend._make_client()._conf
        assert conf.uri(bucket=BUCKET, path="k") == "http://127.0.0.1:9000/k"
        assert conf.get_host(Bucket=BUCKET) == f"{BUCKET}.127.0.0.1:9000"

    def test_invalid_endpoint_is_a_config_error(self, cos_env: None) -> None:
        with pytest.raises(BackendConfigError, match="invalid endpoint"):
            from_config(TencentCOSBackend, _config("ftp://cos.example", "p"))

    def test_unreachable_store_is_a_storage_error(self, cos_env: None) -> None:
        backend = from_config(TencentCOSBackend, _config(f"http://127.0.0.1:{free_port()}", "x"))
        with pytest.raises(StorageError) as info:
            backend.list_objects("")
        assert "test-secret-key" not in str(info.value)

    def test_missing_credentials_is_a_config_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TENCENT_CLOUD_COS_SECRET_KEY", raising=False)
        monkeypatch.setenv("TENCENT_CLOUD_COS_SECRET_ID", "x")
        with pytest.raises(BackendConfigError, match="TENCENT_CLOUD_COS_SECRET_KEY"):
            from_config(TencentCOSBackend, _config("", "p"))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TENCENT_")}
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )


def test_startup_requires_bucket() -> None:
    result = _run("--storage=tencent", env=COS_ENV)
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-tencent-bucket" in result.stderr


def test_startup_without_credentials_fails_cleanly() -> None:
    result = _run("--storage=tencent", "--storage-tencent-bucket=b-1250000000", env={})
    assert result.returncode == 1
    assert "TENCENT_CLOUD_COS_SECRET_ID" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, cos_endpoint: str) -> None:
    server = run_server(
        "--storage=tencent",
        f"--storage-tencent-bucket={BUCKET}",
        f"--storage-tencent-prefix=e2e-{uuid.uuid4().hex[:8]}",
        f"--storage-tencent-endpoint={cos_endpoint}",
        env=COS_ENV,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
