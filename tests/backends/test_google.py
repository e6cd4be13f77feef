"""The Google Cloud Storage backend against fake-gcs-server (contract, startup, Helm flow)."""

from __future__ import annotations

import json
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
from backends.google import GoogleCSBackend
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.gcs_server import create_bucket
from tests.backends.servers.gcs_server import fake_gcs_server
from tests.e2e.flow import helm_flow
from tests.helpers import BIN

BUCKET = f"charts-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def gcs_url() -> Iterator[str]:
    with fake_gcs_server() as url:
        create_bucket(url, BUCKET)
        yield url


@pytest.fixture
def gcs_env(gcs_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_url)
    return gcs_url


def _backend(bucket: str, prefix: str) -> GoogleCSBackend:
    config = Config(storage="google", storage_google_bucket=bucket, storage_google_prefix=prefix)
    return from_config(GoogleCSBackend, config)


@pytest.fixture
def make_backend(gcs_env: str):
    return lambda prefix: _backend(BUCKET, prefix)


class TestGoogle(BackendContract):
    def test_describe_and_no_change_token(self, backend: GoogleCSBackend, gcs_url: str) -> None:
        assert backend.describe() == f"google:gs://{BUCKET}/{backend.prefix} ({gcs_url})"
        assert backend.change_token("") is None

    def test_prefix_slashes_are_stripped(self, make_backend) -> None:
        base = f"slash-{uuid.uuid4().hex[:8]}"
        make_backend(f"/{base}/").put_object("a.tgz", b"a")
        assert [o.path for o in make_backend(base).list_objects("")] == ["a.tgz"]

    def test_missing_bucket_is_a_storage_error(self, gcs_env: str) -> None:
        backend = _backend("no-such-bucket", "")
        with pytest.raises(StorageError) as info:
            backend.list_objects("")
        assert "no-such-bucket" in str(info.value)

    def test_emulator_host_without_scheme(self, gcs_url: str, monkeypatch) -> None:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_url.removeprefix("http://"))
        backend = _backend(BUCKET, f"noscheme-{uuid.uuid4().hex[:8]}")
        backend.put_object("x.tgz", b"x")
        assert backend.get_object("x.tgz").content == b"x"


def test_missing_bucket_flag() -> None:
    with pytest.raises(
        BackendConfigError, match=r"^Missing required flags\(s\): --storage-google-bucket$"
    ):
        from_config(GoogleCSBackend, Config(storage="google"))


def test_missing_credentials_is_a_config_error(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(BackendConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        from_config(GoogleCSBackend, Config(storage="google", storage_google_bucket="b"))


def test_service_account_file_is_accepted(monkeypatch, tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "1",
        "private_key": pem,
        "client_email": "cm@proj.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    backend = _backend("b", "/p/")
    assert backend.describe() == "google:gs://b/p"


def test_sdk_missing_is_backend_unavailable(monkeypatch) -> None:
    from backends import google

    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    with pytest.raises(BackendUnavailable, match=r"pip install 'chartmuseum\[google\]'"):
        google._sdk()


def test_startup_without_bucket_exits_1() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE")}
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=google"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "Missing required flags(s): --storage-google-bucket" in result.stderr


def test_startup_without_credentials_exits_1(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE")}
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "missing.json")
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=google", "--storage-google-bucket=b"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "no Google application default credentials" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow(gcs_url: str, run_server, helm, keyring, tmp_path) -> None:
    server = run_server(
        "--storage=google",
        f"--storage-google-bucket={BUCKET}",
        f"--storage-google-prefix=e2e-{uuid.uuid4().hex[:8]}",
        env={"STORAGE_EMULATOR_HOST": gcs_url},
    )
    helm_flow(server, helm, keyring, str(tmp_path))


def test_gzip_encoded_objects_are_read_as_stored(make_backend) -> None:
    import gzip

    backend = make_backend(f"gz-{uuid.uuid4().hex[:8]}")
    packed = gzip.compress(b"tar bytes")
    blob = backend._bucket().blob(f"{backend.prefix}/c.tgz")
    blob.content_encoding = "gzip"
    blob.upload_from_string(packed, content_type="application/gzip")
    assert backend.get_object("c.tgz").content == packed
