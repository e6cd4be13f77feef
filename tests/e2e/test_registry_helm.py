"""The OCI registry (``/v2``) driven by Helm's own registry client (helm-python-sdk) and by
``oras``, against a real ``chartmuseum`` process: depths x auth modes, bearer tokens from a
docker token server, interop with the classic routes, provenance, rendering, object stores."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import yaml

from tests.backends.servers.gcs_server import create_bucket
from tests.backends.servers.gcs_server import fake_gcs_server
from tests.backends.servers.s3compat_shim import running
from tests.backends.test_amazon import AWS_ENV
from tests.e2e.registry_support import CHART_TYPE
from tests.e2e.registry_support import CONFIG_TYPE
from tests.e2e.registry_support import MANIFEST_TYPE
from tests.e2e.registry_support import PROV_TYPE
from tests.e2e.registry_support import IssuerKey
from tests.e2e.registry_support import TokenServer
from tests.e2e.registry_support import bearer
from tests.e2e.registry_support import get_blob
from tests.e2e.registry_support import helm_package
from tests.e2e.registry_support import host_of
from tests.e2e.registry_support import layer
from tests.e2e.registry_support import read
from tests.e2e.registry_support import registry_flow
from tests.e2e.registry_support import repository_access
from tests.e2e.registry_support import sha256
from tests.e2e.registry_support import stored_manifest
from tests.helpers import Server
from tests.helpers import free_port
from tests.helpers import start_server

pytestmark = pytest.mark.e2e

USER, PASSWORD = "alice", "s3cret-pw"
SERVICE = "chartmuseum-test"
BUCKET = "oci-charts"

#: depth flags and the tenant the charts go to (``oci://HOST[/tenant]``)
DEPTHS = {
    "depth0": (["--depth=0"], ""),
    "depth1": (["--depth=1"], "org1"),
    "dynamic": (["--depth-dynamic"], "org1/team"),
}
#: another tenant, which tokens for the first must not reach (at depth 0 there is only the
#: root: there, a token for another repository of it must not reach ``web``)
OTHER = {"depth0": "", "depth1": "org2", "dynamic": "org1/other"}


def _ref(host: str, tenant: str) -> str:
    """The ``host[/tenant]`` a chart is pushed to (``oci://`` prefix not included)."""
    return f"{host}/{tenant}" if tenant else host


def _name(tenant: str, chart: str) -> str:
    """The OCI repository name of ``chart`` in ``tenant``."""
    return f"{tenant}/{chart}" if tenant else chart


def _client(helm: Any, folder: Any, label: str) -> Any:
    """A registry client with its own (empty) credentials file."""
    return helm.RegistryClient(plain_http=True, credentials_file=str(folder / f"{label}.json"))


# -- servers --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _stopping() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join()


@pytest.fixture
def start(tmp_path, _stopping) -> Iterator[Any]:
    """Like ``run_server``, but stops the servers in the background: a graceful stop waits
    for the Helm client's idle keep-alive connections (~2 s), which the next test need not."""
    servers: list[Server] = []

    def _start(*args: str, env: dict[str, str] | None = None) -> Server:
        log = str(tmp_path / f"server-{len(servers)}.log")
        servers.append(start_server(list(args), log, env=env))
        return servers[-1]

    yield _start
    for server in servers:
        thread = threading.Thread(target=server.stop)
        thread.start()
        _stopping.append(thread)


# -- bearer token server ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> IssuerKey:
    return IssuerKey.create(str(tmp_path_factory.mktemp("issuer")))


@pytest.fixture(scope="module")
def _token_server(issuer: IssuerKey) -> Iterator[TokenServer]:
    server = TokenServer(issuer, SERVICE, USER, PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture
def tokens(_token_server: TokenServer) -> TokenServer:
    """The token server, with no denials and an empty request log."""
    _token_server.denied.clear()
    _token_server.requests.clear()
    return _token_server


def _auth_flags(
    auth: str, tokens: TokenServer | None = None, issuer: IssuerKey | None = None
) -> list[str]:
    if auth == "basic":
        return [f"--basic-auth-user={USER}", f"--basic-auth-pass={PASSWORD}"]
    if auth == "bearer":
        assert tokens is not None and issuer is not None
        return [
            "--bearer-auth",
            f"--auth-realm={tokens.realm}",
            f"--auth-service={SERVICE}",
            f"--auth-cert-path={issuer.pem_path}",
        ]
    return []


def _raw_auth(auth: str, issuer: IssuerKey, tenant: str, name: str) -> dict[str, Any]:
    """requests keyword arguments that let a raw request read ``name`` (and the classic
    routes of ``tenant``)."""
    if auth == "basic":
        return {"auth": (USER, PASSWORD)}
    if auth == "bearer":
        access = [
            repository_access(name, "pull"),
            {"type": "artifact-repository", "name": tenant or "repo", "actions": ["pull"]},
        ]
        return {"headers": bearer(issuer.mint(access, service=SERVICE))}
    return {}


# -- depth x auth matrix ----------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["none", "basic", "bearer"])
@pytest.mark.parametrize("depth", list(DEPTHS))
def test_helm_registry_client(depth, auth, start, storage, helm, tokens, issuer, tmp_path) -> None:
    flags, tenant = DEPTHS[depth]
    server = start(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--workers=2",
        *flags,
        *_auth_flags(auth, tokens, issuer),
    )
    host = host_of(server)
    ns, name = _ref(host, tenant), _name(tenant, "web")
    v1 = helm_package(helm, str(tmp_path), "web", "0.1.0")
    v2 = helm_package(helm, str(tmp_path), "web", "0.2.0")
    with _client(helm, tmp_path, "creds") as client:
        if auth != "none":
            client.login(host, USER, PASSWORD, plain_http=True)
            with open(tmp_path / "creds.json", encoding="utf-8") as fh:
                assert host in json.load(fh)["auths"]
        client.push(v1, f"oci://{ns}")
        client.push(v2, f"oci://{ns}")
        assert client.tags(f"{ns}/web") == ["0.2.0", "0.1.0"]
        resolved = client.resolve(f"{ns}/web:0.1.0")
        dest = tmp_path / "pulled"
        dest.mkdir()
        client.pull(f"oci://{ns}/web", version="0.1.0", destination=str(dest))
        client.pull(f"oci://{ns}/web", destination=str(dest))  # no version: the highest
    assert sorted(os.listdir(dest)) == ["web-0.1.0.tgz", "web-0.2.0.tgz"]
    assert read(str(dest / "web-0.1.0.tgz")) == read(v1)
    assert read(str(dest / "web-0.2.0.tgz")) == read(v2)

    # what Helm resolved is the manifest the registry serves, its layer the package itself
    raw_kw = _raw_auth(auth, issuer, tenant, name)
    raw, manifest = stored_manifest(server, name, "0.1.0", **raw_kw)
    assert resolved == {"digest": sha256(raw), "media_type": MANIFEST_TYPE, "size": len(raw)}
    chart_layer = layer(manifest, CHART_TYPE)
    assert chart_layer is not None
    assert (chart_layer["digest"], chart_layer["size"]) == (sha256(read(v1)), len(read(v1)))
    assert layer(manifest, PROV_TYPE) is None

    # same storage and tenant as the classic routes; staged blobs were cleaned up
    assert read(os.path.join(storage, tenant, "web-0.1.0.tgz")) == read(v1)
    assert os.listdir(os.path.join(storage, tenant, ".oci", "blobs")) == []
    index = yaml.safe_load(server.get(f"/{tenant}/index.yaml".replace("//", "/"), **raw_kw).text)
    digests = {e["version"]: e["digest"] for e in index["entries"]["web"]}
    assert digests == {"0.1.0": sha256(read(v1))[7:], "0.2.0": sha256(read(v2))[7:]}

    if auth != "none":
        _check_refusals(helm, server, storage, depth, tenant, tmp_path)
    if auth == "bearer":
        _check_bearer(helm, server, storage, depth, tenant, tokens, issuer, tmp_path)


def _check_refusals(helm, server, storage, depth, tenant, tmp_path) -> None:
    """Without credentials, or with a wrong password, nothing gets through."""
    host = host_of(server)
    ns = _ref(host, tenant)
    anon = helm_package(helm, str(tmp_path), "anon", "0.1.0")
    with _client(helm, tmp_path, "anonymous") as anonymous:
        with pytest.raises(helm.HelmError):
            anonymous.tags(f"{ns}/web")
        with pytest.raises(helm.HelmError):
            anonymous.pull(f"oci://{ns}/web", version="0.1.0", destination=str(tmp_path))
        with pytest.raises(helm.HelmError):
            anonymous.push(anon, f"oci://{ns}")
    with _client(helm, tmp_path, "wrong") as wrong, pytest.raises(helm.HelmError):
        wrong.login(host, USER, "not-the-password", plain_http=True)
    assert not os.path.exists(os.path.join(storage, tenant, "anon-0.1.0.tgz"))


def _check_bearer(helm, server, storage, depth, tenant, tokens, issuer, tmp_path) -> None:
    host = host_of(server)
    name = _name(tenant, "web")
    # Helm asked the realm for exactly this repository, with the server's service name
    assert {r.service for r in tokens.requests} == {SERVICE}
    assert USER in {r.user for r in tokens.requests}
    scopes = tokens.scopes_for(name)
    assert f"repository:{name}:pull,push" in scopes, tokens.requests
    assert f"repository:{name}:pull" in scopes, tokens.requests

    # a token for another tenant (or, at depth 0, another repository) is refused
    other_tenant = OTHER[depth]
    other_name = _name(other_tenant, "secret")
    other_access = [repository_access(other_name, "pull", "push")]
    if other_tenant:
        other_access.append(
            {"type": "artifact-repository", "name": other_tenant, "actions": ["pull", "push"]}
        )
    foreign = bearer(issuer.mint(other_access, service=SERVICE))
    refused = server.get(f"/v2/{name}/tags/list", headers=foreign)
    assert refused.status_code == 401, refused.text
    assert refused.json()["errors"][0]["code"] == "UNAUTHORIZED"
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer realm="{tokens.realm}",service="{SERVICE}"')
    assert f'scope="repository:{name}:pull"' in challenge
    own = bearer(issuer.mint([repository_access(name, "pull")], service=SERVICE))
    assert server.get(f"/v2/{name}/tags/list", headers=own).json()["tags"] == ["0.1.0", "0.2.0"]
    pull_only = server.post(f"/v2/{name}/blobs/uploads/", headers=own)
    assert pull_only.status_code == 401
    assert f'scope="repository:{name}:pull,push"' in pull_only.headers["WWW-Authenticate"]

    # the token server denies the other repository: Helm's logged-in client is refused there
    tokens.denied.add(other_name)
    secret = helm_package(helm, str(tmp_path), "secret", "0.1.0")
    with _client(helm, tmp_path, "creds") as client, pytest.raises(helm.HelmError):
        client.push(secret, f"oci://{_ref(host, other_tenant)}")
    stored = os.path.join(storage, other_tenant, "secret-0.1.0.tgz")
    assert not os.path.exists(stored)
    tokens.denied.clear()
    with _client(helm, tmp_path, "creds") as client:
        client.push(secret, f"oci://{_ref(host, other_tenant)}")
    assert read(stored) == read(secret)


# -- one shared local registry (depth-dynamic, no auth) ---------------------------------------
@dataclass
class Registry:
    server: Server
    storage: str

    @property
    def host(self) -> str:
        return host_of(self.server)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("registry")
    storage = root / "storage"
    storage.mkdir()
    server = start_server(
        ["--storage=local", f"--storage-local-rootdir={storage}", "--depth-dynamic", "--workers=2"],
        str(root / "server.log"),
    )
    yield Registry(server, str(storage))
    server.stop()


@pytest.mark.parametrize("tenant", ["interop/push", ""], ids=["tenant", "root"])
def test_oci_push_is_pulled_by_classic_helm(registry, helm, tmp_path, tenant) -> None:
    """With --depth-dynamic, ``oci://HOST/a/b`` is tenant ``a/b`` and ``oci://HOST`` the root."""
    tgz = helm_package(helm, str(tmp_path), "pushed", "1.2.3")
    helm.push(tgz, f"oci://{_ref(registry.host, tenant)}", plain_http=True)
    assert read(os.path.join(registry.storage, tenant, "pushed-1.2.3.tgz")) == read(tgz)
    repo_url = registry.server.url + (f"/{tenant}" if tenant else "")
    index = helm.repo_index(repo_url)
    assert [e["digest"] for e in index["entries"]["pushed"]] == [sha256(read(tgz))[7:]]
    dest = tmp_path / "classic"
    dest.mkdir()
    helm.pull("pushed", repo_url=repo_url, version="1.2.3", destination=str(dest))
    assert read(str(dest / "pushed-1.2.3.tgz")) == read(tgz)


def test_api_upload_and_storage_copy_are_pulled_over_oci(registry, helm, tmp_path) -> None:
    tenant = "interop/classic"
    uploaded = helm_package(helm, str(tmp_path), "uploaded", "0.1.0")
    answer = registry.server.post(f"/api/{tenant}/charts", data=read(uploaded))
    assert answer.status_code == 201, answer.text
    copied = helm_package(helm, str(tmp_path), "copied", "2.0.0")
    shutil.copy(copied, os.path.join(registry.storage, tenant, "copied-2.0.0.tgz"))
    fresh = "interop/copied-only"  # a tenant folder created by the copy alone
    os.makedirs(os.path.join(registry.storage, fresh))
    shutil.copy(copied, os.path.join(registry.storage, fresh, "copied-2.0.0.tgz"))
    dest = tmp_path / "oci"
    dest.mkdir()
    with _client(helm, tmp_path, "none") as client:
        for ns, chart, version, tgz in [
            (tenant, "uploaded", "0.1.0", uploaded),
            (tenant, "copied", "2.0.0", copied),
            (fresh, "copied", "2.0.0", copied),
        ]:
            ref = f"{registry.host}/{ns}/{chart}"
            assert client.tags(ref) == [version]
            first = client.resolve(f"{ref}:{version}")
            assert client.resolve(f"{ref}:{version}") == first  # derived manifests are stable
            out = dest / ns.replace("/", "_")
            out.mkdir(exist_ok=True)
            client.pull(f"oci://{ref}", version=version, destination=str(out))
            assert read(str(out / f"{chart}-{version}.tgz")) == read(tgz)
            raw, manifest = stored_manifest(registry.server, f"{ns}/{chart}", version)
            assert sha256(raw) == first["digest"]
            assert layer(manifest, CHART_TYPE)["digest"] == sha256(read(tgz))  # type: ignore[index]
            config = json.loads(
                get_blob(registry.server, f"{ns}/{chart}", manifest["config"]["digest"])
            )
            assert (config["name"], config["version"]) == (chart, version)


def test_signed_chart_carries_provenance_both_ways(registry, helm, keyring, tmp_path) -> None:
    signed_by = ["Helm Test <helm@test.local>"]
    # pushed over OCI with its .prov next to it -> classic .prov and verify
    tenant = "prov/oci"
    tgz = helm_package(helm, str(tmp_path), "signed", "1.0.0")
    prov = helm.sign(tgz, key="Helm Test", keyring=keyring["secring"])
    assert prov == tgz + ".prov"
    helm.push(tgz, f"oci://{registry.host}/{tenant}", plain_http=True)
    _, manifest = stored_manifest(registry.server, f"{tenant}/signed", "1.0.0")
    prov_layer = layer(manifest, PROV_TYPE)
    assert prov_layer is not None, manifest
    assert get_blob(registry.server, f"{tenant}/signed", prov_layer["digest"]) == read(prov)
    classic = registry.server.get(f"/{tenant}/charts/signed-1.0.0.tgz.prov")
    assert classic.status_code == 200 and classic.content == read(prov)
    dest = tmp_path / "classic"
    dest.mkdir()
    repo_url = f"{registry.server.url}/{tenant}"
    helm.pull("signed", repo_url=repo_url, version="1.0.0", destination=str(dest))
    (dest / "signed-1.0.0.tgz.prov").write_bytes(classic.content)
    assert helm.verify(str(dest / "signed-1.0.0.tgz"), keyring["pubring"])["signed_by"] == signed_by

    # uploaded with POST /api/charts (chart + prov) -> OCI provenance layer and verify
    tenant = "prov/api"
    with open(tgz, "rb") as c, open(prov, "rb") as p:
        files = {"chart": ("signed.tgz", c.read()), "prov": ("signed.tgz.prov", p.read())}
    assert registry.server.post(f"/api/{tenant}/charts", files=files).status_code == 201
    oci = tmp_path / "oci"
    oci.mkdir()
    helm.pull(
        f"oci://{registry.host}/{tenant}/signed",
        version="1.0.0",
        destination=str(oci),
        plain_http=True,
    )
    assert read(str(oci / "signed-1.0.0.tgz")) == read(tgz)
    _, manifest = stored_manifest(registry.server, f"{tenant}/signed", "1.0.0")
    prov_layer = layer(manifest, PROV_TYPE)
    assert prov_layer is not None, manifest
    prov_blob = get_blob(registry.server, f"{tenant}/signed", prov_layer["digest"])
    assert prov_blob == read(prov)
    (oci / "signed-1.0.0.tgz.prov").write_bytes(prov_blob)
    assert helm.verify(str(oci / "signed-1.0.0.tgz"), keyring["pubring"])["signed_by"] == signed_by


def test_install_renders_from_an_oci_reference(registry, helm, tmp_path) -> None:
    """helm-python-sdk renders only loaded charts (no install/template of a reference):
    pull the ``oci://`` reference untarred, as ``helm install oci://...`` does, then render."""
    tenant = "render"
    tgz = helm_package(
        helm, str(tmp_path), "web", "0.4.0", values={"replicaCount": 3, "fullnameOverride": ""}
    )
    helm.push(tgz, f"oci://{registry.host}/{tenant}", plain_http=True)
    ref = f"oci://{registry.host}/{tenant}/web"
    shown = helm.show(ref, plain_http=True, output_format="chart")  # version= is broken in 0.2.2
    assert "name: web" in shown and "version: 0.4.0" in shown
    out = tmp_path / "untarred"
    helm.pull(ref, version="0.4.0", untar=True, untar_dir=str(out), plain_http=True)
    chart = helm.Chart.load(str(out / "web"))
    assert (chart.metadata["name"], chart.metadata["version"]) == ("web", "0.4.0")
    rendered = chart.render({"image": {"tag": "9.9.9"}}, name="rel", namespace="prod")
    deployment = yaml.safe_load(rendered["web/templates/deployment.yaml"])
    assert deployment["kind"] == "Deployment"
    assert deployment["metadata"]["name"] == "rel-web"
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].endswith(":9.9.9")
    service = yaml.safe_load(rendered["web/templates/service.yaml"])
    assert (service["kind"], service["metadata"]["name"]) == ("Service", "rel-web")


def test_registry_flow_local(registry, helm, keyring, tmp_path) -> None:
    registry_flow(registry.server, helm, keyring, str(tmp_path), tenant="flow/local")


# -- a second client: oras --------------------------------------------------------------------
def _oras(host: str) -> Any:
    import oras.client

    return oras.client.OrasClient(hostname=host, insecure=True)


def test_oras_pushes_a_helm_chart(registry, helm, tmp_path) -> None:
    tenant = "oras/pushed"
    tgz = helm_package(helm, str(tmp_path), "orasweb", "0.5.0")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(helm.Chart.load(tgz).metadata))
    answer = _oras(registry.host).push(
        f"{registry.host}/{tenant}/orasweb:0.5.0",
        files=[f"{tgz}:{CHART_TYPE}"],
        manifest_config=f"{config}:{CONFIG_TYPE}",
        disable_path_validation=True,
        do_chunked=True,  # chunked PATCH uploads, unlike Helm's monolithic PUT
        chunk_size=1024,
        quiet=True,
    )
    assert answer.status_code == 201, answer.text
    pushed_digest = answer.headers["Docker-Content-Digest"]
    raw, manifest = stored_manifest(registry.server, f"{tenant}/orasweb", "0.5.0")
    assert sha256(raw) == pushed_digest  # the manifest oras pushed, not a derived one
    config_blob = get_blob(registry.server, f"{tenant}/orasweb", manifest["config"]["digest"])
    assert config_blob == config.read_bytes()
    dest = tmp_path / "helm"
    dest.mkdir()
    ref = f"{registry.host}/{tenant}/orasweb"
    helm.pull(f"oci://{ref}", version="0.5.0", destination=str(dest), plain_http=True)
    assert read(str(dest / "orasweb-0.5.0.tgz")) == read(tgz)
    with _client(helm, tmp_path, "none") as client:
        assert client.tags(ref) == ["0.5.0"]
    index = helm.repo_index(f"{registry.server.url}/{tenant}")
    assert [e["version"] for e in index["entries"]["orasweb"]] == ["0.5.0"]
    assert read(os.path.join(registry.storage, tenant, "orasweb-0.5.0.tgz")) == read(tgz)


def test_oras_pulls_what_helm_pushed(registry, helm, tmp_path) -> None:
    tenant = "oras/pulled"
    tgz = helm_package(helm, str(tmp_path), "web", "0.6.0")
    helm.push(tgz, f"oci://{registry.host}/{tenant}", plain_http=True)
    client = _oras(registry.host)
    target = f"{registry.host}/{tenant}/web:0.6.0"
    assert client.get_tags(f"{registry.host}/{tenant}/web") == ["0.6.0"]
    manifest = client.get_manifest(target)
    assert manifest["config"]["mediaType"] == CONFIG_TYPE
    files = client.pull(target, outdir=str(tmp_path / "oras"))
    assert [read(f) for f in files] == [read(tgz)]


# -- object stores ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with running(free_port(), [BUCKET]) as url:
        yield url


@pytest.fixture(scope="module")
def gcs_url() -> Iterator[str]:
    with fake_gcs_server() as url:
        create_bucket(url, BUCKET)
        yield url


def _object_store(backend: str, request: pytest.FixtureRequest) -> tuple[list[str], dict[str, str]]:
    prefix = f"oci-{uuid.uuid4().hex[:8]}"
    if backend == "amazon":
        url = request.getfixturevalue("s3_url")
        flags = [
            "--storage=amazon",
            f"--storage-amazon-bucket={BUCKET}",
            f"--storage-amazon-prefix={prefix}",
            f"--storage-amazon-endpoint={url}",
        ]
        return flags, AWS_ENV
    url = request.getfixturevalue("gcs_url")
    flags = [
        "--storage=google",
        f"--storage-google-bucket={BUCKET}",
        f"--storage-google-prefix={prefix}",
    ]
    return flags, {"STORAGE_EMULATOR_HOST": url}


@pytest.mark.parametrize("backend", ["amazon", "google"])
def test_registry_flow_object_store(backend, request, start, helm, keyring, tmp_path) -> None:
    flags, env = _object_store(backend, request)
    server = start(*flags, "--depth=1", "--workers=2", env=env)
    registry_flow(server, helm, keyring, str(tmp_path), tenant="org1")


def test_oras_over_the_docker_token_flow(start, storage, helm, tokens, issuer, tmp_path) -> None:
    """oras-py fetches tokens with ``GET <realm>?service=&scope=`` and basic credentials (Helm
    v4 posts an OAuth2 password grant instead): its pull goes through that flow; its push
    uses a ``pull,push`` token fetched the same way (oras-py keeps its first, pull-only
    token for a push, so it cannot push on its own to any registry answering 401)."""
    server = start(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--depth=1",
        "--workers=2",
        *_auth_flags("bearer", tokens, issuer),
    )
    host = host_of(server)
    helm_tgz = helm_package(helm, str(tmp_path), "web", "0.7.0")
    with _client(helm, tmp_path, "creds") as client:
        client.login(host, USER, PASSWORD, plain_http=True)
        client.push(helm_tgz, f"oci://{host}/org1")

    puller = _oras(host)
    puller.auth.set_basic_auth(USER, PASSWORD)
    files = puller.pull(f"{host}/org1/web:0.7.0", outdir=str(tmp_path / "oras"))
    assert [read(f) for f in files] == [read(helm_tgz)]
    assert any(
        r.method == "GET" and r.user == USER and r.scopes == ["repository:org1/web:pull"]
        for r in tokens.requests
    ), tokens.requests

    answer = requests.get(
        tokens.realm,
        params={"service": SERVICE, "scope": "repository:org1/orasweb:pull,push"},
        auth=(USER, PASSWORD),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    tgz = helm_package(helm, str(tmp_path), "orasweb", "0.8.0")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(helm.Chart.load(tgz).metadata))
    pusher = _oras(host)
    pusher.auth.set_token_auth(answer.json()["token"])
    pushed = pusher.push(
        f"{host}/org1/orasweb:0.8.0",
        files=[f"{tgz}:{CHART_TYPE}"],
        manifest_config=f"{config}:{CONFIG_TYPE}",
        disable_path_validation=True,
        quiet=True,
    )
    assert pushed.status_code == 201, pushed.text
    assert read(os.path.join(storage, "org1", "orasweb-0.8.0.tgz")) == read(tgz)

    anonymous = _oras(host)  # an anonymous token grants nothing
    with pytest.raises(ValueError, match=r"UNAUTHORIZED"):
        anonymous.pull(f"{host}/org1/web:0.7.0", outdir=str(tmp_path / "anon"))


def test_basic_auth_with_anonymous_get(start, storage, helm, tmp_path) -> None:
    """--auth-anonymous-get: Helm pulls, lists and resolves without logging in; pushing
    still needs the credentials."""
    server = start(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--depth=1",
        "--workers=2",
        *_auth_flags("basic"),
        "--auth-anonymous-get",
    )
    host = host_of(server)
    tgz = helm_package(helm, str(tmp_path), "web", "0.1.0")
    with _client(helm, tmp_path, "anonymous") as anonymous:
        with pytest.raises(helm.HelmError):
            anonymous.push(tgz, f"oci://{host}/org1")
        assert not os.path.exists(os.path.join(storage, "org1", "web-0.1.0.tgz"))
        with _client(helm, tmp_path, "creds") as client:
            client.login(host, USER, PASSWORD, plain_http=True)
            client.push(tgz, f"oci://{host}/org1")
        assert anonymous.tags(f"{host}/org1/web") == ["0.1.0"]
        assert anonymous.resolve(f"{host}/org1/web:0.1.0")["media_type"] == MANIFEST_TYPE
        anonymous.pull(f"oci://{host}/org1/web", version="0.1.0", destination=str(tmp_path))
    assert read(str(tmp_path / "web-0.1.0.tgz")) == read(tgz)
    assert server.get("/v2/_catalog").json() == {"repositories": ["org1/web"]}


# -- concurrent pushes of the same chart --------------------------------------------------------
def _concurrently(count: int, action: Any) -> list[str]:
    """Run ``action`` in ``count`` threads released together; the errors, as text."""
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            action()
        except Exception as exc:  # collected for the assertion
            errors.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_identical_helm_pushes_are_accepted(start, storage, helm, tmp_path) -> None:
    server = start(
        "--storage=local", f"--storage-local-rootdir={storage}", "--depth=1", "--workers=4"
    )
    host = host_of(server)
    denied: list[str] = []
    for round_ in range(8):  # the race usually shows in the first round or two
        tgz = helm_package(helm, str(tmp_path), f"same{round_}", "1.0.0")
        errors = _concurrently(
            4, lambda tgz=tgz: helm.push(tgz, f"oci://{host}/org1", plain_http=True)
        )
        denied += [e for e in errors if "409" in e]
        assert read(os.path.join(storage, "org1", f"same{round_}-1.0.0.tgz")) == read(tgz)
        if denied:
            break
    assert denied == []


def test_blob_upload_racing_a_manifest_push(start, storage, helm, tmp_path) -> None:
    """What two Helm clients pushing the same chart at once do, in a loop: one uploads the
    chart layer (POST ?digest=), the other PUTs the manifest (which discards staged blobs)."""
    server = start(
        "--storage=local", f"--storage-local-rootdir={storage}", "--depth=1", "--workers=2"
    )
    host = host_of(server)
    tgz = helm_package(helm, str(tmp_path), "web", "0.1.0")
    helm.push(tgz, f"oci://{host}/org1", plain_http=True)
    raw, manifest = stored_manifest(server, "org1/web", "0.1.0")
    chart = read(tgz)
    failures: list[str] = []
    deadline = time.monotonic() + 8  # it usually shows within a second
    done = threading.Event()

    def upload() -> None:
        with requests.Session() as session:
            while not done.is_set() and time.monotonic() < deadline:
                answer = session.post(
                    f"{server.url}/v2/org1/web/blobs/uploads/?digest={sha256(chart)}",
                    data=chart,
                    timeout=30,
                )
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text}")
                    done.set()

    def push() -> None:
        with requests.Session() as session:
            while not done.is_set() and time.monotonic() < deadline:
                answer = session.put(
                    f"{server.url}/v2/org1/web/manifests/0.1.0",
                    data=raw,
                    headers={"Content-Type": MANIFEST_TYPE},
                    timeout=30,
                )
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text}")
                    done.set()

    threads = [threading.Thread(target=f) for f in (upload, push, upload, push)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert layer(manifest, CHART_TYPE)["digest"] == sha256(chart)  # type: ignore[index]
    assert failures == []
