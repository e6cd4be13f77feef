"""The amazon (S3) backend against moto's S3 app (served by the s3compat shim)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from app.options import Config
from backends.amazon import AmazonS3Backend
from backends.base import BackendConfigError
from backends.base import StorageError
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.s3compat_shim import running
from tests.e2e.flow import helm_flow
from tests.helpers import BIN
from tests.helpers import free_port

BUCKET = "charts"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with running(free_port(), [BUCKET]) as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_INSECURE_SKIP_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)


def _config(endpoint: str, prefix: str, **extra: object) -> Config:
    options: dict[str, object] = {
        "storage": "amazon",
        "storage_amazon_bucket": BUCKET,
        "storage_amazon_prefix": prefix,
        "storage_amazon_endpoint": endpoint,
        **extra,
    }
    return Config(**options)  # type: ignore[arg-type]


@pytest.fixture
def make_backend(s3_endpoint: str, aws_env: None):
    return lambda prefix: from_config(AmazonS3Backend, _config(s3_endpoint, prefix))


class TestAmazon(BackendContract):
    def test_prefix_slashes_are_stripped(self, s3_endpoint: str, aws_env: None) -> None:
        base = f"strip-{uuid.uuid4().hex[:8]}"
        slashed = from_config(AmazonS3Backend, _config(s3_endpoint, f"/{base}/nested/"))
        slashed.put_object("org/a.tgz", b"a")
        plain = from_config(AmazonS3Backend, _config(s3_endpoint, base))
        assert [o.path for o in plain.list_objects("nested/org")] == ["a.tgz"]
        assert slashed.describe() == f"amazon:s3://{BUCKET}/{base}/nested at {s3_endpoint}"

    def test_server_side_encryption_is_sent(self, s3_endpoint: str, aws_env: None) -> None:
        import boto3

        prefix = f"sse-{uuid.uuid4().hex[:8]}"
        backend = from_config(
            AmazonS3Backend, _config(s3_endpoint, prefix, storage_amazon_sse="AES256")
        )
        backend.put_object("a.tgz", b"a")
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
        head = s3.head_object(Bucket=BUCKET, Key=f"{prefix}/a.tgz")
        assert head["ServerSideEncryption"] == "AES256"

    def test_unreachable_store_is_a_storage_error(self, aws_env: None) -> None:
        backend = from_config(AmazonS3Backend, _config(f"http://127.0.0.1:{free_port()}", "x"))
        with pytest.raises(StorageError) as info:
            backend.list_objects("")
        assert "testing-secret" not in str(info.value)

    def test_region_is_required_without_endpoint(self, aws_env: None) -> None:
        with pytest.raises(BackendConfigError, match=r"flags\(s\): --storage-amazon-region$"):
            from_config(AmazonS3Backend, _config("", "x"))
        backend = from_config(AmazonS3Backend, _config("", "x", storage_amazon_region="eu-west-1"))
        assert backend.region == "eu-west-1" and backend.describe() == f"amazon:s3://{BUCKET}/x"

    def test_tls_settings(self, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
        backend = from_config(AmazonS3Backend, _config("minio.example:9000", "x"))
        assert backend.endpoint == "https://minio.example:9000" and backend.verify_tls
        monkeypatch.setenv("AWS_INSECURE_SKIP_VERIFY", "true")
        assert not from_config(AmazonS3Backend, _config("minio.example", "x")).verify_tls

    def test_missing_credentials_is_a_config_error(
        self, aws_env: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        with pytest.raises(BackendConfigError, match="no AWS credentials found"):
            from_config(AmazonS3Backend, _config("http://127.0.0.1:1", "x"))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Missing required flags(s): --storage-amazon-bucket, --storage-amazon-region"),
        (["--storage-amazon-bucket=b"], "Missing required flags(s): --storage-amazon-region"),
        (
            ["--storage-amazon-region=eu-west-1"],
            "Missing required flags(s): --storage-amazon-bucket",
        ),
    ],
)
def test_startup_requires_flags(args: list[str], message: str) -> None:
    result = _run("--storage=amazon", *args, env=AWS_ENV)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr


def test_startup_without_credentials_fails_cleanly() -> None:
    env = {k: v for k, v in AWS_ENV.items() if "KEY" not in k}
    result = _run(
        "--storage=amazon",
        "--storage-amazon-bucket=b",
        "--storage-amazon-region=us-east-1",
        env=env,
    )
    assert result.returncode == 1
    assert "no AWS credentials found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, s3_endpoint: str) -> None:
    server = run_server(
        "--storage=amazon",
        f"--storage-amazon-bucket={BUCKET}",
        f"--storage-amazon-prefix=e2e-{uuid.uuid4().hex[:8]}",
        f"--storage-amazon-endpoint={s3_endpoint}",
        env=AWS_ENV,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
