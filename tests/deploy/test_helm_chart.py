"""The bundled Helm chart: lint, schema, and what it renders for every storage backend, auth
mode, Redis and a context path (the example values files in helm-chart/ci/).

The environment the chart gives the container (ConfigMap, Secret references, downward API)
is fed to the server's own option loader, so every name must be one the server reads and
every value one it parses.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import re
from typing import Any

import pytest
import yaml

from app import __version__
from app.config import load_config
from app.options import OPTIONS
from app.startup import normalise
from tests.deploy.support import CHART_DIR
from tests.deploy.support import REPO

OPTION_ENV = {o.metadata["env"]: o for o in OPTIONS}
#: set by the chart itself from other values, never from env.open
MANAGED = {
    "CONFIG",
    "GEN_INDEX",
    "PORT",
    "LISTEN_HOST",
    "STORAGE_LOCAL_ROOTDIR",
    "TLS_CERT",
    "TLS_KEY",
    "TLS_CA_CERT",
}
CI_VALUES = sorted(glob.glob(os.path.join(CHART_DIR, "ci", "*-values.yaml")))
BACKENDS = ["local", "amazon", "google", "microsoft", "alibaba", "openstack", "oracle"]
BACKENDS += ["baidu", "tencent", "etcd"]


def _backend_sources() -> str:
    text = ""
    for path in sorted(glob.glob(os.path.join(REPO, "backends", "*.py"))):
        with open(path, encoding="utf-8") as fh:
            text += fh.read()
    return text


def _schema() -> dict[str, Any]:
    with open(os.path.join(CHART_DIR, "values.schema.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _load_values(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


class Rendered:
    """A chart rendering, parsed: manifests by kind, and the NOTES."""

    def __init__(self, files: dict[str, str]) -> None:
        self.notes = ""
        self.docs: list[dict[str, Any]] = []
        for path, text in files.items():
            if path.endswith("NOTES.txt"):
                self.notes = text
                continue
            self.docs += [d for d in yaml.safe_load_all(text) if d]

    def kinds(self) -> list[str]:
        return sorted(d["kind"] for d in self.docs)

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.all(kind)
        assert len(found) == 1, f"{len(found)} {kind}"
        return found[0]

    @property
    def pod(self) -> dict[str, Any]:
        return self.one("Deployment")["spec"]["template"]["spec"]

    @property
    def container(self) -> dict[str, Any]:
        """The server's container (sidecars may follow it)."""
        (container,) = [c for c in self.pod["containers"] if c["name"] == "chartmuseum"]
        return container

    def secret_data(self, name: str) -> dict[str, str] | None:
        for secret in self.all("Secret"):
            if secret["metadata"]["name"] == name:
                return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        return None

    def environment(self, existing: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
        """The container's environment as the kubelet would build it.

        ConfigMap first (envFrom), then ``env`` entries, which win. Secret references resolve
        in the chart's own Secrets or in ``existing`` (Secrets the user manages); downward API
        fields get a placeholder.
        """
        env: dict[str, str] = {}
        configmaps = {c["metadata"]["name"]: c["data"] for c in self.all("ConfigMap")}
        for source in self.container.get("envFrom", []):
            env.update(configmaps[source["configMapRef"]["name"]])
        for entry in self.container.get("env", []):
            if "value" in entry:
                env[entry["name"]] = entry["value"]
                continue
            ref = entry["valueFrom"]
            if "fieldRef" in ref:
                env[entry["name"]] = f"<{ref['fieldRef']['fieldPath']}>"
                continue
            secret_ref = ref["secretKeyRef"]
            data = self.secret_data(secret_ref["name"])
            if data is None:
                data = (existing or {}).get(secret_ref["name"])
            assert data is not None, f"{entry['name']}: no Secret {secret_ref['name']}"
            assert secret_ref["key"] in data, f"{entry['name']}: no key {secret_ref['key']}"
            env[entry["name"]] = data[secret_ref["key"]]
        return env


@pytest.fixture(scope="module")
def chart(helm):
    return helm.Chart.load(CHART_DIR)


@pytest.fixture(scope="module")
def render(chart):
    def _render(values: dict[str, Any] | None = None) -> Rendered:
        return Rendered(chart.render(values or {}, name="cm", namespace="charts"))

    return _render


@pytest.fixture(scope="module")
def vendor_env() -> set[str]:
    """The storage SDKs' variables the schema accepts; each is documented in backends/."""
    schema = _schema()
    known = set(schema["definitions"]["envName"]["anyOf"][0]["enum"])
    names = set(schema["properties"]["env"]["properties"]["open"]["properties"]) | known
    vendor = names - set(OPTION_ENV)
    sources = _backend_sources()
    undocumented = sorted(n for n in vendor if not re.search(rf"\b{n}\b", sources))
    assert not undocumented, f"not read or documented in backends/: {undocumented}"
    return vendor


def _server_config(env: dict[str, str], args: list[str] | None = None):
    """The server's configuration from the chart's environment and command line (raises on
    a bad value)."""
    return normalise(load_config(args or (), {k: v for k, v in env.items() if k in OPTION_ENV}))


# --- chart metadata, lint and schema ------------------------------------------------------


def test_chart_metadata(chart) -> None:
    meta = chart.metadata
    assert meta["name"] == "chartmuseum"
    assert meta["apiVersion"] == "v2"
    assert meta["appVersion"] == __version__


@pytest.mark.parametrize(
    "values", [None, *CI_VALUES], ids=lambda p: os.path.basename(p or "defaults")
)
def test_lint_has_no_errors(helm, values: str | None) -> None:
    result = helm.lint(CHART_DIR, _load_values(values) if values else None, strict=True)
    assert result["errors"] == [], result["messages"]
    assert not [m for m in result["messages"] if m["severity"] >= 2], result["messages"]


def test_schema_covers_every_server_option(vendor_env: set[str]) -> None:
    schema = _schema()
    open_props = schema["properties"]["env"]["properties"]["open"]["properties"]
    expected = set(OPTION_ENV) - MANAGED
    assert expected <= set(open_props), sorted(expected - set(open_props))
    assert not (MANAGED & set(open_props))
    assert set(open_props) - expected <= vendor_env
    refs = {"bool": "goBool", "int": "Int", "duration": "goDuration"}
    for name in expected:
        kind = OPTION_ENV[name].metadata["kind"]
        prop = open_props[name]
        if kind in refs:
            assert prop["$ref"].endswith(refs[kind]), (name, prop)
        else:
            assert "$ref" in prop or "enum" in prop, (name, prop)


def test_values_yaml_uses_server_env_names() -> None:
    values = _load_values(os.path.join(CHART_DIR, "values.yaml"))
    assert set(values["env"]["open"]) <= set(OPTION_ENV) - MANAGED
    assert set(values["env"]["secret"]) <= set(OPTION_ENV)


@pytest.mark.parametrize(
    "values",
    [
        {"env": {"open": {"STORAGE": "s3"}}},
        {"env": {"open": {"STORAGE_AMAZON_BUKET": "typo"}}},
        {"env": {"open": {"BASIC_AUTH_PASSWORD": "typo"}}},
        {"env": {"open": {"NOT A NAME": "1"}}},
        {"env": {"open": {"AWS_SDK_LOAD_CONFIG": {"nested": True}}}},
        {"env": {"open": {"DEPTH": "two"}}},
        {"env": {"open": {"DEPTH": -1}}},
        {"env": {"open": {"WORKERS": 0}}},
        {"env": {"open": {"DISABLE_API": "nope"}}},
        {"env": {"open": {"CACHE_INTERVAL": "300"}}},
        {"env": {"open": {"CACHE": "memcached"}}},
        {"env": {"secret": {"CACHE_REDIS_PASS": "x"}}},
        {"env": {"existingSecretMappings": {"BASIC_AUTH_PASWORD": "password"}}},
        {"env": {"field": {"STORAGE_AMAZON_PREFX": "metadata.namespace"}}},
        {"persistance": {"enabled": True}},
        {"persistence": {"size": "lots"}},
        {"persistence": {"path": "relative"}},
        {"service": {"type": "Ingress"}},
        {"image": {"pullPolicy": "Sometimes"}},
        {"replicaCount": "3"},
        {"probes": {"liveness": {"periodSeconds": 0}}},
        {"ingress": {"hosts": [{"path": "/"}]}},
    ],
    ids=lambda v: json.dumps(v, sort_keys=True),
)
def test_schema_rejects_bad_values(helm, render, values: dict[str, Any]) -> None:
    with pytest.raises(helm.HelmValuesError):
        render(values)
    assert helm.lint(CHART_DIR, values)["errors"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"env": {"open": {"BEARER_AUTH": True, "AUTH_REALM": "r", "AUTH_SERVICE": "s"}}},
            "public key",
        ),
        (
            {"env": {"open": {"BEARER_AUTH": "true"}}, "bearerAuth": {"secret": {"enabled": True}}},
            "AUTH_REALM",
        ),
        ({"env": {"open": {"CACHE": "redis"}}}, "CACHE_REDIS_ADDR"),
        ({"tls": {"enabled": True}}, "tls.secretName"),
        ({"gcp": {"secret": {"enabled": True}}}, "gcp.secret.name"),
        ({"oracle": {"secret": {"enabled": "enabled"}}}, "oracle.secret.name"),
        ({"persistence": {"pv": {"enabled": True}}}, "persistence.pv.nfs.server"),
        ({"image": {"repository": "ghcr.io/helm/chartmuseum"}}, "image.allowGoServer"),
    ],
)
def test_inconsistent_values_fail_with_a_message(helm, render, values, message: str) -> None:
    with pytest.raises(helm.HelmError, match=re.escape(message)):
        render(values)


# --- rendering ----------------------------------------------------------------------------


def _check_common(out: Rendered, vendor_env: set[str], existing=None) -> dict[str, str]:
    """Assertions that hold for every rendering; returns the container environment."""
    container = out.container
    # every variable the chart sets is an option the server reads, or an SDK's variable
    names = {e["name"] for e in container.get("env", [])}
    for cm in out.all("ConfigMap"):
        names |= set(cm["data"])
    for secret in out.all("Secret"):
        if secret["metadata"]["name"] == out.one("Deployment")["metadata"]["name"]:
            names |= set(secret["data"])
    unknown = names - set(OPTION_ENV) - vendor_env
    assert not unknown, f"env vars the server does not read: {sorted(unknown)}"
    env = out.environment(existing)
    config = _server_config(env)
    # image and port
    assert container["image"].endswith(f":{__version__}")
    (port,) = container["ports"]
    assert port["name"] == "http" and str(port["containerPort"]) == env["PORT"]
    assert config.port == port["containerPort"]
    # probes on <context path>/health, the port by name
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container[kind]
        if "httpGet" in probe:
            assert probe["httpGet"]["path"] == f"{config.context_path}/health"
            assert probe["httpGet"]["port"] == "http"
        else:
            assert probe["tcpSocket"]["port"] == "http"
    # non-root, read-only root filesystem with a writable /tmp
    assert out.pod["securityContext"]["runAsNonRoot"] is True
    assert out.pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"]
    volumes = {v["name"]: v for v in out.pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert set(mounts.values()) <= set(volumes)
    assert "emptyDir" in volumes[mounts["/tmp"]]
    # local storage: its folder is mounted, from the claim only with persistence
    claims = out.all("PersistentVolumeClaim")
    if config.storage == "local":
        assert config.storage_local_rootdir in mounts
        source = volumes[mounts[config.storage_local_rootdir]]
        if "persistentVolumeClaim" in source:  # the chart's claim, or an existing one
            claim = source["persistentVolumeClaim"]["claimName"]
            assert not claims or [c["metadata"]["name"] for c in claims] == [claim]
        else:
            assert "emptyDir" in source and not claims
    else:
        assert not claims and "storage-volume" not in volumes
    # the pods roll when the configuration changes
    annotations = out.one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert {"checksum/config", "checksum/secret"} <= set(annotations)
    # the Service reaches the pods' named port
    service = out.one("Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pod_labels = out.one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert "helm repo add" in out.notes
    return env


def test_defaults(render, vendor_env) -> None:
    out = render()
    assert out.kinds() == ["ConfigMap", "Deployment", "Service"]
    env = _check_common(out, vendor_env)
    config = _server_config(env)
    assert config.storage == "local" and config.storage_local_rootdir == "/storage"
    assert config.disable_api is True  # as in ChartMuseum's chart
    assert (config.workers, config.threads) == (2, 4)
    assert config.depth == 0 and config.context_path == ""
    assert "env" not in out.container  # no secrets, nothing else
    storage = {v["name"]: v for v in out.pod["volumes"]}["storage-volume"]
    assert storage == {"name": "storage-volume", "emptyDir": {}}
    assert "WARNING: local storage without persistence" in out.notes
    assert "helm repo add chartmuseum $REPO_URL" in out.notes


#: per example values file: what the server must end up with, and the Secret refs expected
EXPECTED: dict[str, dict[str, Any]] = {
    "local-persistence": {
        "config": {"storage": "local", "disable_api": False, "max_upload_size": 52428800},
        "secret_env": {"BASIC_AUTH_USER", "BASIC_AUTH_PASS"},
        "claim": True,
    },
    "amazon": {
        "config": {"storage": "amazon", "storage_amazon_bucket": "my-charts"},
        "config_false": ["storage_amazon_force_path_style"],
        "secret_env": {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
    },
    "google": {
        "config": {"storage": "google", "storage_google_bucket": "my-charts"},
        "env": {"GOOGLE_APPLICATION_CREDENTIALS": "/etc/secrets/google/credentials.json"},
        "secret_volume": ("chartmuseum-gcs", "/etc/secrets/google"),
    },
    "microsoft": {
        "config": {"storage": "microsoft", "storage_microsoft_container": "charts"},
        "secret_env": {"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCESS_KEY"},
    },
    "alibaba": {
        "config": {"storage": "alibaba", "storage_alibaba_bucket": "my-charts"},
        "secret_env": {"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
    },
    "openstack": {
        "config": {"storage": "openstack", "storage_openstack_container": "charts"},
        "existing": {"openstack-credentials": {"password": "s3cret"}},
        "env": {"OS_PASSWORD": "s3cret", "OS_AUTH_URL": "https://keystone.example.com:5000/v3"},
    },
    "oracle": {
        "config": {"storage": "oracle", "storage_oracle_bucket": "my-charts"},
        "env": {"OCI_CONFIG_FILE": "/home/chartmuseum/.oci/config"},
        "secret_volume": ("chartmuseum-oci", "/home/chartmuseum/.oci"),
    },
    "baidu": {
        "config": {"storage": "baidu", "storage_baidu_bucket": "my-charts"},
        "secret_env": {"BAIDU_CLOUD_ACCESS_KEY_ID", "BAIDU_CLOUD_ACCESS_KEY_SECRET"},
    },
    "tencent": {
        "config": {"storage": "tencent", "storage_tencent_bucket": "my-charts-1250000000"},
        "secret_env": {"TENCENT_CLOUD_COS_SECRET_ID", "TENCENT_CLOUD_COS_SECRET_KEY"},
    },
    "etcd": {
        "config": {"storage": "etcd", "storage_etcd_keyfile": "/etc/chartmuseum/etcd/tls.key"},
        "secret_volume": ("etcd-client-tls", "/etc/chartmuseum/etcd"),
    },
    "basic-auth-existing-secret": {
        "config": {"basic_auth_user": "admin", "basic_auth_pass": "pw", "auth_anonymous_get": True},
        "existing": {"chartmuseum-auth": {"username": "admin", "password": "pw"}},
        "claim": "existing",
    },
    "bearer-auth": {
        "config": {"bearer_auth": True, "auth_cert_path": "/var/keys/public-key.pem"},
        "secret_volume": ("chartmuseum-public-key", "/var/keys"),
    },
    "redis": {
        "config": {
            "cache": "redis",
            "cache_redis_addr": "redis-master.redis.svc:6379",
            "cache_redis_db": 2,
            "cache_redis_password": "redis-password",
            "cache_interval": 300.0,
            "storage_amazon_prefix": "<metadata.namespace>",
        },
        "secret_env": {"CACHE_REDIS_PASSWORD"},
        "kinds": ["ConfigMap", "Deployment", "Secret", "Service", "ServiceAccount"],
    },
    "context-path": {
        "config": {"context_path": "/charts", "depth": 2, "enable_metrics": True, "workers": 4},
        "kinds": ["ConfigMap", "Deployment", "Ingress", "Service", "ServiceMonitor"],
    },
    "tls": {
        "config": {
            "tls_cert": "/etc/chartmuseum/tls/tls.crt",
            "tls_ca_cert": "/etc/chartmuseum/tls/ca.crt",
        },
        "secret_volume": ("chartmuseum-tls", "/etc/chartmuseum/tls"),
    },
}


def test_every_backend_has_an_example() -> None:
    storages = {e["config"].get("storage") for e in EXPECTED.values()}
    assert set(BACKENDS) <= storages
    assert sorted(os.path.basename(p)[: -len("-values.yaml")] for p in CI_VALUES) == sorted(
        EXPECTED
    )


@pytest.mark.parametrize("path", CI_VALUES, ids=lambda p: os.path.basename(p))
def test_example_values_render(render, vendor_env, path: str) -> None:
    expected = EXPECTED[os.path.basename(path)[: -len("-values.yaml")]]
    out = render(_load_values(path))
    env = _check_common(out, vendor_env, expected.get("existing"))
    config = _server_config(env)
    for key, value in expected["config"].items():
        assert getattr(config, key) == value, key
    for key in expected.get("config_false", []):
        assert getattr(config, key) is False, key
    for name, value in expected.get("env", {}).items():
        assert env[name] == value, name
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in out.container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    own = out.one("Deployment")["metadata"]["name"]
    for name in expected.get("secret_env", set()):
        assert refs[name] == {"name": own, "key": name}, name
        assert name not in out.one("ConfigMap")["data"], f"{name} must not be in the ConfigMap"
    for secret_name in expected.get("existing", {}):
        assert any(r["name"] == secret_name for r in refs.values())
    if "secret_volume" in expected:
        secret_name, mount_path = expected["secret_volume"]
        volumes = {v["name"]: v for v in out.pod["volumes"]}
        mounts = {m["mountPath"]: m for m in out.container["volumeMounts"]}
        assert mounts[mount_path]["readOnly"] is True
        assert volumes[mounts[mount_path]["name"]]["secret"]["secretName"] == secret_name
    claims = out.all("PersistentVolumeClaim")
    if expected.get("claim") is True:
        (claim,) = claims
        assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
        assert out.one("Deployment")["spec"]["strategy"] == {"type": "Recreate"}
    else:
        assert not claims
    if expected.get("claim") == "existing":
        volumes = {v["name"]: v for v in out.pod["volumes"]}
        assert volumes["storage-volume"]["persistentVolumeClaim"] == {"claimName": "charts-pvc"}
    if "kinds" in expected:
        assert out.kinds() == expected["kinds"]


def test_context_path_reaches_probes_ingress_and_notes(render) -> None:
    out = render(_load_values(os.path.join(CHART_DIR, "ci", "context-path-values.yaml")))
    assert out.container["livenessProbe"]["httpGet"]["path"] == "/charts/health"
    rule = out.one("Ingress")["spec"]["rules"][0]
    assert rule["host"] == "repo.example.com"
    assert rule["http"]["paths"][0]["path"] == "/charts"
    assert out.one("Ingress")["spec"]["tls"][0]["secretName"] == "repo-example-com-tls"
    # the server serves /metrics at the root path, whatever the context path
    assert out.one("ServiceMonitor")["spec"]["endpoints"][0]["path"] == "/metrics"
    assert "https://repo.example.com/charts" in out.notes


def test_ingress_routes_the_registry_beside_the_context_path(render) -> None:
    """The OCI routes answer at /v2 whatever CONTEXT_PATH is; the Ingress sends them on."""
    values = _load_values(os.path.join(CHART_DIR, "ci", "context-path-values.yaml"))
    paths = render(values).one("Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in paths] == ["/charts", "/v2"]
    assert paths[1]["backend"] == paths[0]["backend"]
    values["env"]["open"]["DISABLE_OCI"] = "true"
    out_paths = render(values).one("Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in out_paths] == ["/charts"]
    values["env"]["open"]["DISABLE_OCI"] = "false"
    values["env"]["open"]["CONTEXT_PATH"] = ""
    out_paths = render(values).one("Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in out_paths] == ["/"]  # "/" already covers /v2


def test_tls_with_client_certificates_probes_tcp(render) -> None:
    out = render({"tls": {"enabled": True, "secretName": "tls", "clientCA": False}})
    assert out.container["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    out = render(_load_values(os.path.join(CHART_DIR, "ci", "tls-values.yaml")))
    assert "tcpSocket" in out.container["readinessProbe"]


def test_large_numbers_and_booleans_render_as_the_server_reads_them(render) -> None:
    out = render(
        {"env": {"open": {"MAX_UPLOAD_SIZE": 1073741824, "DISABLE_DELETE": True, "DEPTH": "1"}}}
    )
    data = out.one("ConfigMap")["data"]
    assert data["MAX_UPLOAD_SIZE"] == "1073741824"
    assert data["DISABLE_DELETE"] == "true"
    config = _server_config(out.environment())
    assert config.max_upload_size == 1073741824 and config.disable_delete and config.depth == 1


def test_existing_secret_replaces_env_secret(render) -> None:
    """As in ChartMuseum's chart: with env.existingSecret, env.secret is not used at all."""
    out = render(
        {
            "env": {
                "secret": {"BASIC_AUTH_USER": "from-values", "BASIC_AUTH_PASS": "pw"},
                "existingSecret": "managed",
                "existingSecretMappings": {
                    "BASIC_AUTH_PASS": "password",
                    "CACHE_REDIS_PASSWORD": None,
                },
            }
        }
    )
    env = out.environment({"managed": {"password": "managed-pw"}})
    assert "BASIC_AUTH_USER" not in env
    assert env["BASIC_AUTH_PASS"] == "managed-pw"
    assert [e["name"] for e in out.container["env"]] == ["BASIC_AUTH_PASS"]
    assert not out.all("Secret")
    assert "env.secret is ignored" in out.notes


def test_inline_bearer_public_key_becomes_a_secret(render) -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
    values = {
        "env": {"open": {"BEARER_AUTH": True, "AUTH_REALM": "https://a", "AUTH_SERVICE": "s"}},
        "bearerAuth": {"secret": {"enabled": True, "publicKey": pem}},
    }
    out = render(values)
    assert out.secret_data("cm-chartmuseum-public-key") == {"public-key.pem": pem}
    volumes = {v["name"]: v for v in out.pod["volumes"]}
    assert volumes["public-key"]["secret"]["secretName"] == "cm-chartmuseum-public-key"


def test_api_enabled_notes_show_upload(render) -> None:
    out = render({"env": {"open": {"DISABLE_API": False}, "secret": {"BASIC_AUTH_USER": "u"}}})
    assert "/api/charts" in out.notes and "--username" in out.notes
    out = render({"replicaCount": 2})
    assert "CACHE=redis" in out.notes
