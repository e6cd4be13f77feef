"""The Oracle OCI backend, through the real oci SDK, against the test-only OCI fake.

The SDK reads a real config file with a freshly generated RSA key; the fake verifies each
request's signature with the public half.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.options import Config
from backends.base import BackendConfigError
from backends.base import StorageError
from backends.oracle import OracleOSBackend
from tests.backends import from_config
from tests.backends.contract import BackendContract
from tests.backends.servers.oci_server import fake_oci
from tests.e2e.flow import helm_flow
from tests.helpers import BIN

BUCKET, NAMESPACE = "charts", "testns"
COMPARTMENT = "ocid1.compartment.oc1..aaaatest"
USER, TENANCY = "ocid1.user.oc1..aaaatest", "ocid1.tenancy.oc1..aaaatest"
FINGERPRINT = "11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00"


def _write_profile(folder: str, name: str) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = os.path.join(folder, f"{name}.pem")
    with open(key_file, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(folder, "config"), "a") as fh:
        fh.write(
            f"[{name}]\nuser={USER}\ntenancy={TENANCY}\nfingerprint={FINGERPRINT}\n"
            f"region=us-ashburn-1\nkey_file={key_file}\n\n"
        )
    return key


@pytest.fixture(scope="session")
def oci_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Env vars for the SDK: a config file (profiles DEFAULT and OTHER, a different key)."""
    folder = str(tmp_path_factory.mktemp("oci"))
    key = _write_profile(folder, "DEFAULT")
    _write_profile(folder, "OTHER")
    numbers = key.public_key().public_numbers()
    with fake_oci(NAMESPACE, f"{TENANCY}/{USER}/{FINGERPRINT}", numbers.n, numbers.e) as url:
        yield {
            "OCI_CONFIG_FILE": os.path.join(folder, "config"),
            "ORACLE_OBJECT_STORAGE_ENDPOINT": url,
        }


@pytest.fixture
def make_backend(oci_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    for name, value in oci_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OCI_CONFIG_PROFILE", raising=False)

    def make(prefix: str) -> OracleOSBackend:
        config = Config(
            storage="oracle",
            storage_oracle_bucket=BUCKET,
            storage_oracle_prefix=prefix,
            storage_oracle_compartmentid=COMPARTMENT,
        )
        return from_config(OracleOSBackend, config)

    return make


class TestOracle(BackendContract):
    def test_profile_with_an_unknown_key_is_refused(self, make_backend, monkeypatch) -> None:
        monkeypatch.setenv("OCI_CONFIG_PROFILE", "OTHER")
        with pytest.raises(StorageError, match="401 NotAuthenticated"):
            make_backend("other").list_objects("")

    def test_region_option_overrides_the_profile(self, make_backend) -> None:
        config = Config(
            storage="oracle",
            storage_oracle_bucket=BUCKET,
            storage_oracle_compartmentid=COMPARTMENT,
            storage_oracle_region="eu-frankfurt-1",
        )
        backend = from_config(OracleOSBackend, config)
        assert backend.config is not None and backend.config["region"] == "eu-frankfurt-1"

    def test_describe(self, make_backend) -> None:
        assert make_backend("/p/").describe() == f"oracle:oci://{BUCKET}/p"


def test_missing_config_file_is_a_config_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OCI_CONFIG_FILE", str(tmp_path / "nothing"))
    monkeypatch.delenv("ORACLE_AUTH_METHOD", raising=False)
    config = Config(
        storage="oracle", storage_oracle_bucket=BUCKET, storage_oracle_compartmentid=COMPARTMENT
    )
    with pytest.raises(BackendConfigError, match="invalid OCI configuration"):
        from_config(OracleOSBackend, config)


def test_startup_without_required_flags_fails() -> None:
    result = subprocess.run(
        [f"{BIN}/chartmuseum", "--storage=oracle"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert (
        "Missing required flags(s): --storage-oracle-bucket, --storage-oracle-compartmentid"
        in result.stderr
    )


@pytest.mark.e2e
def test_helm_flow(run_server, helm, keyring, tmp_path, oci_env) -> None:
    server = run_server(
        "--storage=oracle",
        f"--storage-oracle-bucket={BUCKET}",
        f"--storage-oracle-prefix=e2e-{uuid.uuid4().hex[:8]}",
        f"--storage-oracle-compartmentid={COMPARTMENT}",
        env=oci_env,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
