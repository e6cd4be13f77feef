"""The openstack (Swift) backend against a real Swift, with v1 (tempauth) and Keystone auth.

Swift runs as a one-node all-in-one (``servers/swift_server.py``); Keystone v2.0/v3 is the
fake of ``servers/keystone_fake.py``, which hands out real tempauth tokens in Keystone token
bodies. The whole contract runs twice: through v1 auth and through Keystone v3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from collections.abc import Iterator

import pytest
import requests

from app.errors import ConfigError
from app.options import Config
from app.startup import build_backend
from backends.base import ObjectExists
from backends.base import StorageError
from backends.openstack import WRITER_META
from backends.openstack import OpenstackSwiftBackend
from tests.backends.contract import BackendContract
from tests.backends.servers import keystone_fake
from tests.backends.servers import swift_server
from tests.e2e.flow import helm_flow
from tests.helpers import BIN

CONTAINER = "charts"
# swiftclient drives python-keystoneclient's deprecated session-less API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
Env = dict[str, str]


@pytest.fixture(scope="session")
def swift(tmp_path_factory: pytest.TempPathFactory) -> Iterator[swift_server.SwiftServer]:
    with swift_server.running(str(tmp_path_factory.mktemp("swift"))) as server:
        from swiftclient import client

        user = f"{swift_server.ACCOUNT}:{swift_server.USER}"
        conn = client.Connection(server.auth_url, user, swift_server.KEY, retries=0)
        conn.put_container(CONTAINER)
        yield server


@pytest.fixture(scope="session")
def keystone(
    swift: swift_server.SwiftServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("keystone") / "keystone.log"
    with keystone_fake.running(swift.url, str(log)) as url:
        yield url


@pytest.fixture
def v1_env(swift: swift_server.SwiftServer) -> Env:
    user = f"{swift_server.ACCOUNT}:{swift_server.USER}"
    return {"ST_AUTH": swift.auth_url, "ST_USER": user, "ST_KEY": swift_server.KEY}


@pytest.fixture
def v3_env(keystone: str) -> Env:
    return {
        "OS_AUTH_URL": f"{keystone}/v3",
        "OS_USERNAME": swift_server.USER,
        "OS_PASSWORD": swift_server.KEY,
        "OS_PROJECT_NAME": swift_server.ACCOUNT,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
    }


Build = Callable[..., OpenstackSwiftBackend]


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch) -> Build:
    """``build(env, prefix, **options)``: the backend as the server builds it, env applied."""

    def _build(env: Env, prefix: str, **options: str) -> OpenstackSwiftBackend:
        for name in list(os.environ):
            if name.startswith(("OS_", "ST_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        options.setdefault("storage_openstack_container", CONTAINER)
        config = Config(storage="openstack", storage_openstack_prefix=prefix, **options)  # type: ignore[arg-type]
        backend = build_backend(config)
        assert isinstance(backend, OpenstackSwiftBackend)
        return backend

    return _build


class TestOpenstackV1(BackendContract):
    @pytest.fixture
    def make_backend(self, build: Build, v1_env: Env) -> Callable[[str], OpenstackSwiftBackend]:
        return lambda prefix: build(v1_env, prefix, storage_openstack_auth="v1")

    def test_times_agree_exactly_and_are_whole_seconds(self, backend) -> None:
        put = backend.put_object("t/a.tgz", b"abc", overwrite=False)
        listed = backend.list_objects("t")[0]
        got = backend.get_object("t/a.tgz")
        stat = backend.stat_object("t/a.tgz")
        assert put.last_modified_ns == listed.last_modified_ns == got.last_modified_ns
        assert stat is not None and stat.last_modified_ns == put.last_modified_ns
        assert put.last_modified_ns % 1_000_000_000 == 0

    def test_prefix_slashes_and_dot_segments(self, make_backend) -> None:
        base = f"strip-{uuid.uuid4().hex[:8]}"
        slashed = make_backend(f"/{base}/nested/")
        slashed.put_object("org/../org/a.tgz", b"a")
        assert [o.path for o in make_backend(base).list_objects("nested/org")] == ["a.tgz"]
        assert slashed.describe().startswith(f"openstack:swift://{CONTAINER}/{base}/nested (")
        assert swift_server.KEY not in slashed.describe()

    def test_listing_pages_past_subfolders(self, backend) -> None:
        backend.page_size = 2
        for name in ("a.tgz", "b/x.tgz", "c/y.tgz", "d.tgz", "e/z.tgz", "f.tgz"):
            backend.put_object(f"o/{name}", b"1")
        assert sorted(o.path for o in backend.list_objects("o")) == ["a.tgz", "d.tgz", "f.tgz"]

    def test_concurrent_creates_from_separate_clients(self, make_backend) -> None:
        """Separate backends (like gunicorn workers) share no lock: Swift plus read-back."""
        prefix = f"race-{uuid.uuid4().hex[:8]}"
        clients = [make_backend(prefix) for _ in range(6)]
        barrier, results = threading.Barrier(6), []

        def create(i: int) -> None:
            barrier.wait()
            try:
                clients[i].put_object("r.tgz", f"v{i}".encode(), overwrite=False)
                results.append(f"v{i}")
            except ObjectExists:
                results.append("exists")

        threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if r != "exists"]
        assert len(winners) == 1 and len(results) == 6
        assert clients[0].get_object("r.tgz").content == winners[0].encode()

    def test_create_marks_its_writer(self, backend, swift) -> None:
        backend.put_object("w.tgz", b"w", overwrite=False)
        headers = backend._conn().head_object(CONTAINER, backend._key("w.tgz"))
        assert len(headers[WRITER_META]) == 32

    def test_create_whose_retry_meets_itself_succeeds(self, backend, monkeypatch) -> None:
        real = backend._put

        def landed_then_retried(path, key, data, headers):
            real(path, key, data, headers)  # the first attempt lands, its answer is lost
            return real(path, key, data, headers)  # the retry gets 412

        monkeypatch.setattr(backend, "_put", landed_then_retried)
        info = backend.put_object("retry.tgz", b"mine", overwrite=False)
        assert info.size == 4 and backend.get_object("retry.tgz").content == b"mine"
        with pytest.raises(ObjectExists):
            backend.put_object("retry.tgz", b"other", overwrite=False)

    def test_missing_container_is_a_storage_error(self, build: Build, v1_env: Env) -> None:
        backend = build(
            v1_env, "x", storage_openstack_auth="v1", storage_openstack_container="nope"
        )
        with pytest.raises(StorageError, match="container nope not found"):
            backend.list_objects("")
        with pytest.raises(StorageError, match="container nope not found"):
            backend.put_object("a.tgz", b"a")

    def test_bad_key_is_a_storage_error_without_secrets(self, build: Build, v1_env: Env) -> None:
        backend = build(v1_env | {"ST_KEY": "wrong-secret"}, "x", storage_openstack_auth="v1")
        with pytest.raises(StorageError) as info:
            backend.list_objects("")
        assert "wrong-secret" not in str(info.value) and "401" in str(info.value)


class TestOpenstackKeystoneV3(BackendContract):
    @pytest.fixture
    def make_backend(self, build: Build, v3_env: Env) -> Callable[[str], OpenstackSwiftBackend]:
        return lambda prefix: build(v3_env, prefix, storage_openstack_region="RegionOne")

    def test_threads_share_one_token(self, backend, keystone: str) -> None:
        backend.put_object("first.tgz", b"1")
        before = requests.get(f"{keystone}/_fake/stats", timeout=5).json()["tokens"]
        threads = [
            threading.Thread(target=backend.put_object, args=(f"t{i}.tgz", b"x")) for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(backend.list_objects("")) == 5
        assert requests.get(f"{keystone}/_fake/stats", timeout=5).json()["tokens"] == before

    def test_region_selects_the_endpoint(self, build: Build, v3_env: Env) -> None:
        backend = build(v3_env, "x", storage_openstack_region="Atlantis")
        with pytest.raises(StorageError, match="Endpoint for object-store not found"):
            backend.list_objects("")

    def test_bad_password(self, build: Build, v3_env: Env) -> None:
        env = v3_env | {"OS_PASSWORD": "wrong-secret"}
        backend = build(env, "x", storage_openstack_region="RegionOne")
        with pytest.raises(StorageError, match="Unauthorized") as info:
            backend.list_objects("")
        assert "wrong-secret" not in str(info.value)


def test_keystone_v2_and_ids_and_versionless_url(build: Build, keystone: str) -> None:
    common = {"OS_USERNAME": swift_server.USER, "OS_PASSWORD": swift_server.KEY}
    v2 = {"OS_AUTH_URL": f"{keystone}/v2.0", "OS_TENANT_NAME": swift_server.ACCOUNT}
    by_id = {"OS_AUTH_URL": keystone, "OS_PROJECT_ID": "p-test", "OS_DOMAIN_ID": "default"}
    prefix = f"auth-{uuid.uuid4().hex[:8]}"
    first = build(common | v2, prefix, storage_openstack_region="RegionOne")
    assert first._settings["auth_version"] == "2.0"
    first.put_object("a.tgz", b"a")
    second = build(common | by_id, prefix, storage_openstack_region="RegionOne")
    assert second._settings["auth_version"] == "3"
    assert second._settings["os_options"]["user_domain_id"] == "default"
    assert second.get_object("a.tgz").content == b"a"


def test_identity_settings_from_env(build: Build) -> None:
    env = {
        "OS_AUTH_URL": "https://keystone.example/identity/v3/",
        "OS_USERID": "u-1",
        "OS_PASSWORD": "pw",
        "OS_PROJECT_ID": "p-1",
        "OS_DOMAIN_NAME": "Corp",
        "OS_USER_DOMAIN_NAME": "Users",
        "OS_INTERFACE": "internal",
    }
    backend = build(env, "x", storage_openstack_region="R", storage_openstack_cacert=__file__)
    options = backend._settings["os_options"]
    assert backend._settings["auth_version"] == "3" and backend._settings["user"] is None
    assert options == {
        "region_name": "R",
        "endpoint_type": "internal",
        "project_id": "p-1",
        "user_id": "u-1",
        "user_domain_name": "Users",
        "project_domain_name": "Corp",
    }
    assert backend._settings["cacert"] == __file__
    env_v2 = {"OS_AUTH_URL": "http://k:5000", "OS_IDENTITY_API_VERSION": "2.0"}
    env_v2 |= {"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_TENANT_ID": "t"}
    assert build(env_v2, "x", storage_openstack_region="R")._settings["auth_version"] == "2.0"


@pytest.mark.parametrize(
    "options, env, message",
    [
        (
            {"storage_openstack_container": ""},
            {},
            "Missing required flags(s): --storage-openstack-container, --storage-openstack-region",
        ),
        ({}, {}, "Missing required flags(s): --storage-openstack-region"),
        (
            {"storage_openstack_auth": "v1", "storage_openstack_container": ""},
            {},
            "Missing required flags(s): --storage-openstack-container",
        ),
        (
            {"storage_openstack_auth": "v1"},
            {"ST_USER": "u"},
            "Openstack (object storage): missing environment variable ST_AUTH, ST_KEY",
        ),
        (
            {"storage_openstack_region": "R"},
            {"OS_AUTH_URL": "http://k/v3", "OS_PASSWORD": "p", "OS_PROJECT_NAME": "t"},
            "Openstack (object storage): missing environment variable OS_USERNAME or OS_USERID",
        ),
        (
            {"storage_openstack_region": "R", "storage_openstack_cacert": "/nonexistent.pem"},
            {"OS_AUTH_URL": "http://k/v3", "OS_USERNAME": "u", "OS_PASSWORD": "p"}
            | {"OS_PROJECT_NAME": "t"},
            "--storage-openstack-cacert: file not found: /nonexistent.pem",
        ),
        ({"storage_openstack_auth": "v2"}, {}, "Unsupported OpenStack auth protocol: v2"),
    ],
)
def test_config_errors(build: Build, options: dict[str, str], env: Env, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        build(env, "x", **options)
    assert str(info.value) == message


def test_missing_sdk_is_a_config_error(build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keystoneclient", None)
    env = {"OS_AUTH_URL": "http://k/v3", "OS_USERNAME": "u", "OS_PASSWORD": "p"}
    with pytest.raises(ConfigError, match=r"pip install 'chartmuseum\[openstack\]'"):
        build(env | {"OS_PROJECT_NAME": "t"}, "x", storage_openstack_region="R")


def _run(*args: str, env: Env) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_"))}
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args], capture_output=True, text=True, timeout=60, env=clean | env
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            [],
            "Missing required flags(s): --storage-openstack-container, --storage-openstack-region",
        ),
        (
            ["--storage-openstack-auth=v1"],
            "Missing required flags(s): --storage-openstack-container",
        ),
        (
            ["--storage-openstack-auth=v1", "--storage-openstack-container=c"],
            "Openstack (object storage): missing environment variable ST_AUTH, ST_USER, ST_KEY",
        ),
    ],
)
def test_startup_errors(args: list[str], message: str) -> None:
    result = _run("--storage=openstack", *args, env={})
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_helm_flow_v1(run_server, helm, keyring, tmp_path, v1_env: Env) -> None:
    server = run_server(
        "--storage=openstack",
        "--storage-openstack-auth=v1",
        f"--storage-openstack-container={CONTAINER}",
        f"--storage-openstack-prefix=e2e-{uuid.uuid4().hex[:8]}",
        env=v1_env,
    )
    helm_flow(server, helm, keyring, str(tmp_path))


@pytest.mark.e2e
def test_helm_flow_keystone_v3(run_server, helm, keyring, tmp_path, v3_env: Env) -> None:
    server = run_server(
        "--storage=openstack",
        f"--storage-openstack-container={CONTAINER}",
        "--storage-openstack-region=RegionOne",
        f"--storage-openstack-prefix=e2e-{uuid.uuid4().hex[:8]}",
        env=v3_env,
    )
    helm_flow(server, helm, keyring, str(tmp_path))
