"""Switching from ChartMuseum's official chart (chartmuseum/charts 3.10.4) without editing the
values file.

The values below use every key of the official chart the way its values.yaml and README do.
Each is rendered with our chart, and the options our Deployment hands the server (ConfigMap,
Secrets, downward API, command line, mounted key files) are compared with what the same
values mean in the official chart: :func:`official_meaning` states those meanings, key by
key, as the official templates define them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from typing import Any

import pytest
import yaml

from app.config import load_config
from app.options import OPTIONS
from app.startup import normalise
from tests.deploy.support import CHART_DIR
from tests.deploy.test_helm_chart import Rendered

OPTION_ENV = {o.metadata["env"] for o in OPTIONS}
#: options our chart sets on purpose where the official chart leaves the server's default
OUR_SETTINGS = {"workers", "threads"}
IMAGE = {"image": {"repository": "chartmuseum", "tag": ""}}
SERVICE_MONITOR_API = "monitoring.coreos.com/v1"

# --- the official chart's default values.yaml, key by key ---------------------------------

_OPEN_NULL = [
    f"STORAGE_{name}"
    for name in [
        "ALIBABA_BUCKET",
        "ALIBABA_PREFIX",
        "ALIBABA_ENDPOINT",
        "ALIBABA_SSE",
        "AMAZON_BUCKET",
        "AMAZON_PREFIX",
        "AMAZON_REGION",
        "AMAZON_ENDPOINT",
        "AMAZON_SSE",
        "GOOGLE_BUCKET",
        "GOOGLE_PREFIX",
        "MICROSOFT_CONTAINER",
        "MICROSOFT_PREFIX",
        "OPENSTACK_CONTAINER",
        "OPENSTACK_PREFIX",
        "OPENSTACK_REGION",
        "OPENSTACK_CACERT",
        "ORACLE_COMPARTMENTID",
        "ORACLE_BUCKET",
        "ORACLE_PREFIX",
    ]
] + ["CHART_URL", "CONTEXT_PATH", "CACHE", "CACHE_REDIS_ADDR", "AUTH_REALM", "AUTH_SERVICE"]
_SECRET_NAMES = ["BASIC_AUTH_USER", "BASIC_AUTH_PASS", "GOOGLE_CREDENTIALS_JSON"]
_SECRET_NAMES.append("CACHE_REDIS_PASSWORD")
_PROBE = {
    "initialDelaySeconds": 5,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def official_defaults() -> dict[str, Any]:
    """Every key of the official values.yaml with its default (a fresh copy each call)."""
    return {
        "extraArgs": [],
        "replicaCount": 1,
        "strategy": {"type": "RollingUpdate"},
        "image": {
            "repository": "ghcr.io/helm/chartmuseum",
            "tag": "v0.16.3",
            "pullPolicy": "IfNotPresent",
        },
        "secret": {"labels": {}},
        "commonLabels": {},
        "env": {
            "open": {
                "STORAGE": "local",
                **dict.fromkeys(_OPEN_NULL),
                "CHART_POST_FORM_FIELD_NAME": "chart",
                "PROV_POST_FORM_FIELD_NAME": "prov",
                "DEPTH": 0,
                "DEBUG": False,
                "LOG_JSON": True,
                "DISABLE_STATEFILES": False,
                "ENABLE_METRICS": False,
                "DISABLE_API": True,
                "ALLOW_OVERWRITE": False,
                "AUTH_ANONYMOUS_GET": False,
                "INDEX_LIMIT": 0,
                "CACHE_REDIS_DB": 0,
                "BEARER_AUTH": False,
            },
            "field": {},
            "secret": dict.fromkeys(_SECRET_NAMES),
            "existingSecret": None,
            "existingSecretMappings": dict.fromkeys(_SECRET_NAMES),
        },
        "deployment": {
            "annotations": {},
            "labels": {},
            "extraVolumes": [],
            "extraVolumeMounts": [],
            "sidecarContainers": {},
        },
        "podAnnotations": {},
        "podLabels": {},
        "service": {
            "servicename": None,
            "type": "ClusterIP",
            "externalTrafficPolicy": "Local",
            "loadBalancerIP": None,
            "loadBalancerSourceRanges": [],
            "externalPort": 8080,
            "targetPort": None,
            "nodePort": None,
            "annotations": {},
            "labels": {},
        },
        "serviceMonitor": {"enabled": False, "labels": {}, "metricsPath": "/metrics"},
        "resources": {},
        "probes": {
            "liveness": dict(_PROBE),
            "livenessHttpGetConfig": {"scheme": "HTTP"},
            "readiness": dict(_PROBE),
            "readinessHttpGetConfig": {"scheme": "HTTP"},
        },
        "serviceAccount": {
            "create": False,
            "name": "",
            "automountServiceAccountToken": False,
            "annotations": {},
        },
        "securityContext": {"enabled": True, "fsGroup": 1000},
        "containerSecurityContext": {},
        "priorityClassName": "",
        "nodeSelector": {},
        "tolerations": [],
        "affinity": {},
        "persistence": {
            "enabled": False,
            "accessMode": "ReadWriteOnce",
            "size": "8Gi",
            "labels": {},
            "path": "/storage",
            "pv": {
                "enabled": False,
                "pvname": None,
                "capacity": {"storage": "8Gi"},
                "accessMode": "ReadWriteOnce",
                "nfs": {"server": None, "path": None},
            },
        },
        "volumePermissions": {
            "image": {
                "registry": "docker.io",
                "repository": "bitnami/minideb",
                "tag": "buster",
                "pullPolicy": "Always",
            }
        },
        "ingress": {
            "enabled": False,
            "pathType": "ImplementationSpecific",
            "labels": {},
            "annotations": {},
            "hosts": [],
            "ingressClassName": None,
        },
        "gcp": {"secret": {"enabled": False, "name": None, "key": "credentials.json"}},
        "oracle": {
            "secret": {"enabled": False, "name": None, "config": "config", "key_file": "key_file"}
        },
        "bearerAuth": {"secret": {"enabled": False, "publicKeySecret": "chartmuseum-public-key"}},
    }


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, maps merged key by key (as Helm merges values files)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def user_file(extra: dict[str, Any]) -> dict[str, Any]:
    """A user's values file: the official defaults copied, edited, and our image."""
    return merged(merged(official_defaults(), extra), IMAGE)


# --- what values mean in the official chart --------------------------------------------


def _empty(value: Any) -> bool:
    """Sprig's ``empty``: nil, false, 0, "" and empty collections."""
    return value is None or value is False or value == 0 or value in ("", [], {})


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _on(value: Any) -> bool:
    """Go template truth, as the official chart tests its ``enabled`` keys."""
    return not _empty(value)


@dataclasses.dataclass
class Meaning:
    """What the server is given: environment, command line, and files mounted from Secrets."""

    env: dict[str, str]
    args: list[str]
    files: dict[str, tuple[str, str]]


def official_meaning(values: dict[str, Any], existing: dict[str, dict[str, str]]) -> Meaning:
    """The server's inputs under the official chart for ``values`` (after Helm's merge with
    the official defaults), from its templates' rules."""
    values = merged(official_defaults(), values)
    env_values = values["env"]
    fullname = "cm-chartmuseum"
    env = {k: _env_text(v) for k, v in env_values["open"].items() if not _empty(v)}
    env |= {k: f"<{v}>" for k, v in (env_values.get("field") or {}).items() if not _empty(v)}
    files: dict[str, tuple[str, str]] = {}
    if _on(values["gcp"]["secret"]["enabled"]):
        env["GOOGLE_APPLICATION_CREDENTIALS"] = "/etc/secrets/google/credentials.json"
        if env_values["secret"].get("GOOGLE_CREDENTIALS_JSON"):
            source = (fullname, "GOOGLE_CREDENTIALS_JSON")
        else:
            source = (values["gcp"]["secret"]["name"], values["gcp"]["secret"]["key"])
        files["/etc/secrets/google/credentials.json"] = source
    if env_values.get("existingSecret"):
        secret = existing[env_values["existingSecret"]]
        for name, key in (env_values.get("existingSecretMappings") or {}).items():
            if not _empty(key):
                env[name] = secret[key]
    else:
        for name, value in (env_values.get("secret") or {}).items():
            if _empty(value):
                continue
            if name == "GOOGLE_CREDENTIALS_JSON":  # stored as given: already base64
                env[name] = base64.b64decode(value).decode()
            else:
                env[name] = _env_text(value)
    bearer = values["bearerAuth"]["secret"]
    if _on(bearer["enabled"]):
        env["AUTH_CERT_PATH"] = "/var/keys/public-key.pem"
        files["/var/keys/public-key.pem"] = (bearer["publicKeySecret"], "public-key.pem")
    oracle = values["oracle"]["secret"]
    if _on(oracle["enabled"]):
        files["/home/chartmuseum/.oci/config"] = (oracle["name"], oracle["config"])
        files["/home/chartmuseum/.oci/oci.key"] = (oracle["name"], oracle["key_file"])
    args = ["--port=8080"]
    if env_values["open"].get("STORAGE") == "local":
        args.append(f"--storage-local-rootdir={values['persistence']['path']}")
    return Meaning(env, args + list(values.get("extraArgs") or []), files)


def our_meaning(out: Rendered, existing: dict[str, dict[str, str]]) -> Meaning:
    """The server's inputs under our chart's rendering."""
    container = out.container
    args = list(container.get("args", []))
    if args:
        assert container["command"] == ["chartmuseum"]
    volumes = {v["name"]: v for v in out.pod["volumes"]}
    files: dict[str, tuple[str, str]] = {}
    for mount in container["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret")
        for item in (secret or {}).get("items", []):
            files[f"{mount['mountPath']}/{item['path']}"] = (secret["secretName"], item["key"])
    return Meaning(out.environment(existing), args, files)


def server_options(meaning: Meaning) -> dict[str, Any]:
    env = {k: v for k, v in meaning.env.items() if k in OPTION_ENV}
    config = dataclasses.asdict(normalise(load_config(meaning.args, env)))
    return {k: v for k, v in config.items() if k not in OUR_SETTINGS}


def assert_same_meaning(
    out: Rendered, values: dict[str, Any], existing: dict[str, dict[str, str]] | None = None
) -> Meaning:
    """Our rendering gives the server what ``values`` give it under the official chart."""
    existing = existing or {}
    official, ours = official_meaning(values, existing), our_meaning(out, existing)
    expected = server_options(official)
    if values.get("serviceMonitor", {}).get("enabled"):
        expected["enable_metrics"] = True  # a ServiceMonitor needs them: we turn them on
    assert server_options(ours) == expected
    for name, value in official.env.items():  # SDK settings and names passed through
        if name not in OPTION_ENV:
            assert ours.env.get(name) == value, name
    for path, source in official.files.items():
        assert ours.files.get(path) == source, path
    return ours


@pytest.fixture(scope="module")
def render(helm):
    chart = helm.Chart.load(CHART_DIR)

    def _render(values: dict[str, Any], api_versions: list[str] | None = None) -> Rendered:
        if api_versions is None:
            return Rendered(chart.render(values, name="cm", namespace="charts"))
        # helm_python's render() does not expose the API versions; its native call does
        from helm_python import _native

        opts = json.dumps({"name": "cm", "namespace": "charts", "api_versions": api_versions})
        raw = _native.call_string("helm_render", chart._raw(), json.dumps(values), opts)
        return Rendered(json.loads(raw))

    return _render


# --- the official defaults and every key ---------------------------------------------------


def test_official_defaults_render_with_the_same_meaning(render) -> None:
    values = user_file({})
    out = render(values)
    ours = assert_same_meaning(out, values)
    assert server_options(ours)["disable_api"] is True
    assert out.kinds() == ["ConfigMap", "Deployment", "Service"]
    assert out.one("Deployment")["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert out.pod["securityContext"]["fsGroup"] == 1000  # the copied value wins
    liveness = out.container["livenessProbe"]
    assert liveness["timeoutSeconds"] == 1 and liveness["httpGet"]["scheme"] == "HTTP"


def test_every_commented_official_key_is_accepted(render) -> None:
    """The keys the official values.yaml documents in comments, set as its comments say."""
    values = user_file(
        {
            "schedulerName": "stork",
            "serviceMonitor": {"enabled": True, "namespace": "prometheus"},
            "persistence": {
                "enabled": True,
                "existingClaim": "",
                "storageClass": "-",
                "volumeName": "charts-pv",
            },
            "volumePermissions": {"image": {"pullSecrets": ["registry-key"]}},
            "securityContext": {"runAsNonRoot": True, "supplementalGroups": [1000]},
            "resources": {"limits": {"cpu": "100m", "memory": "128Mi"}},
            "env": {"field": {"POD_IP": "status.podIP"}},
        }
    )
    values["serviceMonitor"] |= {"timeout": 60, "interval": 60}
    out = render(values, api_versions=[SERVICE_MONITOR_API])
    ours = assert_same_meaning(out, values)
    assert ours.env["POD_IP"] == "<status.podIP>"
    assert out.pod["schedulerName"] == "stork"
    assert out.pod["imagePullSecrets"] == [{"name": "registry-key"}]
    assert out.pod["securityContext"]["supplementalGroups"] == [1000]
    endpoint = out.one("ServiceMonitor")["spec"]["endpoints"][0]
    assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("60s", "60s")
    assert out.one("ServiceMonitor")["metadata"]["namespace"] == "prometheus"
    claim = out.one("PersistentVolumeClaim")["spec"]
    assert claim["storageClassName"] == "" and claim["volumeName"] == "charts-pv"


def test_pod_and_resource_keys(render) -> None:
    values = user_file(
        {
            "commonLabels": {"team_name": "dev"},
            "secret": {"labels": {"secret-kind": "creds"}},
            "podLabels": {"tier": "charts"},
            "podAnnotations": {"iam.amazonaws.com/role": "role-arn"},
            "priorityClassName": "high",
            "image": {"pullSecrets": ["regcred"]},
            "global": {"imagePullSecrets": ["global-regcred", "regcred"]},
            "env": {"secret": {"BASIC_AUTH_USER": "curator", "BASIC_AUTH_PASS": "pw"}},
            "deployment": {
                "sidecarContainers": {
                    "proxy": {
                        "image": "nginx:latest",
                        "ports": [{"name": "proxy", "containerPort": 8081}],
                    }
                }
            },
            "service": {"targetPort": "proxy"},
        }
    )
    out = render(values)
    assert_same_meaning(out, values)
    for doc in out.docs:
        assert doc["metadata"]["labels"]["team_name"] == "dev", doc["kind"]
    assert out.one("Secret")["metadata"]["labels"]["secret-kind"] == "creds"
    template = out.one("Deployment")["spec"]["template"]
    assert template["metadata"]["labels"]["tier"] == "charts"
    assert template["metadata"]["annotations"]["iam.amazonaws.com/role"] == "role-arn"
    assert out.pod["priorityClassName"] == "high"
    assert out.pod["imagePullSecrets"] == [{"name": n} for n in ("regcred", "global-regcred")]
    sidecar = out.pod["containers"][1]
    assert sidecar["name"] == "proxy" and sidecar["ports"][0]["containerPort"] == 8081
    assert out.one("Service")["spec"]["ports"][0]["targetPort"] == "proxy"


def test_probe_http_get_config(render) -> None:
    values = user_file(
        {
            "probes": {
                "livenessHttpGetConfig": {
                    "scheme": "HTTP",
                    "httpHeaders": [{"name": "X-Probe", "value": "1"}],
                },
                "readiness": {"timeoutSeconds": 5},
            }
        }
    )
    out = render(values)
    get = out.container["livenessProbe"]["httpGet"]
    assert get == {
        "path": "/health",
        "port": "http",
        "scheme": "HTTP",
        "httpHeaders": [{"name": "X-Probe", "value": "1"}],
    }
    assert out.container["readinessProbe"]["timeoutSeconds"] == 5


def test_persistent_volume_and_volume_permissions(render) -> None:
    values = user_file(
        {
            "securityContext": {"enabled": False},
            "persistence": {
                "enabled": True,
                "pv": {"enabled": True, "pvname": "charts-nfs", "nfs": {"server": "nfs.lan"}},
            },
        }
    )
    values["persistence"]["pv"]["nfs"]["path"] = "/exports/charts"
    out = render(values)
    volume = out.one("PersistentVolume")
    assert volume["metadata"]["name"] == "charts-nfs"
    assert volume["spec"]["nfs"] == {"server": "nfs.lan", "path": "/exports/charts"}
    assert volume["spec"]["capacity"] == {"storage": "8Gi"}
    assert "securityContext" not in out.pod
    (init,) = out.pod["initContainers"]
    assert init["image"] == "docker.io/bitnami/minideb:buster"
    assert init["imagePullPolicy"] == "Always"
    # the volume goes to the server's user (the image's uid 10001) and the copied fsGroup
    assert init["command"] == ["chown", "-R", "10001:1000", "/storage"]
    assert init["volumeMounts"] == [{"name": "storage-volume", "mountPath": "/storage"}]


def test_extra_args_reach_the_server(render) -> None:
    values = user_file(
        {"extraArgs": ["--storage-timestamp-tolerance=1s", "--max-storage-objects 100"]}
    )
    out = render(values)
    assert out.container["command"] == ["chartmuseum"]
    assert out.container["args"] == [
        "--storage-timestamp-tolerance=1s",
        "--max-storage-objects",
        "100",
    ]
    ours = our_meaning(out, {})
    config = normalise(
        load_config(ours.args, {k: v for k, v in ours.env.items() if k in OPTION_ENV})
    )
    assert config.storage_timestamp_tolerance == 1.0
    assert config.max_storage_objects == 100


# --- the official README's examples -------------------------------------------------------

#: (name, values, Secrets the user created) for each example of the official README
README_EXAMPLES: list[tuple[str, dict[str, Any], dict[str, dict[str, str]]]] = [
    (
        "s3-access-keys",
        {
            "env": {
                "open": {
                    "STORAGE": "amazon",
                    "STORAGE_AMAZON_BUCKET": "my-s3-bucket",
                    "STORAGE_AMAZON_PREFIX": None,
                    "STORAGE_AMAZON_REGION": "us-east-1",
                },
                "secret": {"AWS_ACCESS_KEY_ID": "AKIA0", "AWS_SECRET_ACCESS_KEY": "s3cr3t"},
            }
        },
        {},
    ),
    (
        "s3-instance-profile",
        {
            "env": {
                "open": {
                    "STORAGE": "amazon",
                    "STORAGE_AMAZON_BUCKET": "my-s3-bucket",
                    "STORAGE_AMAZON_PREFIX": None,
                    "STORAGE_AMAZON_REGION": "us-east-1",
                }
            }
        },
        {},
    ),
    (
        "s3-kube2iam",
        {
            "env": {
                "open": {
                    "STORAGE": "amazon",
                    "STORAGE_AMAZON_BUCKET": "my-s3-bucket",
                    "STORAGE_AMAZON_PREFIX": None,
                    "STORAGE_AMAZON_REGION": "us-east-1",
                }
            },
            "podAnnotations": {"iam.amazonaws.com/role": "{assumed role name}"},
        },
        {},
    ),
    (
        "s3-irsa",
        {
            "env": {
                "open": {
                    "AWS_SDK_LOAD_CONFIG": True,
                    "STORAGE": "amazon",
                    "STORAGE_AMAZON_BUCKET": "my-s3-bucket",
                    "STORAGE_AMAZON_PREFIX": None,
                    "STORAGE_AMAZON_REGION": "us-east-1",
                }
            },
            "serviceAccount": {
                "create": True,
                "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/charts"},
            },
        },
        {},
    ),
    (
        "gcs-workload",
        {
            "env": {
                "open": {
                    "STORAGE": "google",
                    "STORAGE_GOOGLE_BUCKET": "my-gcs-bucket",
                    "STORAGE_GOOGLE_PREFIX": None,
                }
            }
        },
        {},
    ),
    (
        "gcs-existing-key-secret",
        {
            "env": {
                "open": {
                    "STORAGE": "google",
                    "STORAGE_GOOGLE_BUCKET": "my-gcs-bucket",
                    "STORAGE_GOOGLE_PREFIX": None,
                }
            },
            "gcp": {
                "secret": {"enabled": True, "name": "chartmuseum-secret", "key": "credentials.json"}
            },
        },
        {},
    ),
    (
        "gcs-key-in-values",
        {
            "env": {
                "open": {
                    "STORAGE": "google",
                    "STORAGE_GOOGLE_BUCKET": "my-gcs-bucket",
                    "STORAGE_GOOGLE_PREFIX": None,
                },
                "secret": {"GOOGLE_CREDENTIALS_JSON": base64.b64encode(b'{"type": "x"}').decode()},
            },
            "gcp": {"secret": {"enabled": True}},
        },
        {},
    ),
    (
        "azure",
        {
            "env": {
                "open": {
                    "STORAGE": "microsoft",
                    "STORAGE_MICROSOFT_CONTAINER": "mycontainer",
                    "STORAGE_MICROSOFT_PREFIX": None,
                },
                "secret": {"AZURE_STORAGE_ACCOUNT": "acct", "AZURE_STORAGE_ACCESS_KEY": "key"},
            }
        },
        {},
    ),
    (
        "alibaba",
        {
            "env": {
                "open": {
                    "STORAGE": "alibaba",
                    "STORAGE_ALIBABA_BUCKET": "my-oss-bucket",
                    "STORAGE_ALIBABA_PREFIX": None,
                    "STORAGE_ALIBABA_ENDPOINT": "oss-cn-beijing.aliyuncs.com",
                },
                "secret": {
                    "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
                },
            }
        },
        {},
    ),
    (
        "openstack",
        {
            "env": {
                "open": {
                    "STORAGE": "openstack",
                    "STORAGE_OPENSTACK_CONTAINER": "mycontainer",
                    "STORAGE_OPENSTACK_PREFIX": None,
                    "STORAGE_OPENSTACK_REGION": "YOURREGION",
                },
                "secret": {
                    "OS_AUTH_URL": "https://myauth.url.com/v2.0/",
                    "OS_TENANT_ID": "yourtenantid",
                    "OS_USERNAME": "yourusername",
                    "OS_PASSWORD": "yourpassword",
                },
            }
        },
        {},
    ),
    (
        "oracle",
        {
            "env": {
                "open": {
                    "STORAGE": "oracle",
                    "STORAGE_ORACLE_COMPARTMENTID": "ocid1.compartment.oc1..abc123",
                    "STORAGE_ORACLE_BUCKET": "myocibucket",
                    "STORAGE_ORACLE_PREFIX": "chartmuseum",
                    "OCI_CONFIG_FILE": "/home/chartmuseum/.oci/config",
                }
            },
            "oracle": {
                "secret": {
                    "enabled": "enabled",
                    "name": "chartmuseum-secret",
                    "config": "config",
                    "key_file": "key_file",
                }
            },
        },
        {},
    ),
    (
        "existing-secret",
        {
            "env": {
                "open": {
                    "STORAGE": "amazon",  # the README's example says "amazonexistingSecret"
                    "STORAGE_AMAZON_BUCKET": "my-s3-bucket",
                    "STORAGE_AMAZON_PREFIX": None,
                    "STORAGE_AMAZON_REGION": "us-east-1",
                },
                "existingSecret": "chartmuseum-secret",
                "existingSecretMappings": {
                    "AWS_ACCESS_KEY_ID": "aws-access-key",
                    "AWS_SECRET_ACCESS_KEY": "aws-secret-access-key",
                    "BASIC_AUTH_USER": "basic-auth-user",
                    "BASIC_AUTH_PASS": "basic-auth-pass",
                },
            }
        },
        {
            "chartmuseum-secret": {
                "aws-access-key": "myaccesskey",
                "aws-secret-access-key": "mysecretaccesskey",
                "basic-auth-user": "curator",
                "basic-auth-pass": "mypassword",
            }
        },
    ),
    (
        "local-persistence",
        {
            "env": {"open": {"STORAGE": "local"}},
            "persistence": {"enabled": True, "accessMode": "ReadWriteOnce", "size": "8Gi"},
        },
        {},
    ),
    (
        "basic-auth",
        {"env": {"secret": {"BASIC_AUTH_USER": "curator", "BASIC_AUTH_PASS": "mypassword"}}},
        {},
    ),
    (
        "basic-auth-existing-secret",
        {
            "env": {
                "existingSecret": "chartmuseum-secret",
                "existingSecretMappings": {
                    "BASIC_AUTH_USER": "basic-auth-user",
                    "BASIC_AUTH_PASS": "basic-auth-pass",
                },
            }
        },
        {"chartmuseum-secret": {"basic-auth-user": "curator", "basic-auth-pass": "mypassword"}},
    ),
    (
        "bearer-auth",
        {
            "env": {
                "open": {"BEARER_AUTH": True, "AUTH_REALM": "<realm>", "AUTH_SERVICE": "<service>"}
            },
            "bearerAuth": {
                "secret": {"enabled": True, "publicKeySecret": "chartmuseum-public-key"}
            },
        },
        {},
    ),
    (
        "oracle-set-flags",
        {
            "env": {
                "open": {
                    "STORAGE": "oracle",
                    "STORAGE_ORACLE_COMPARTMENTID": "ocid1.compartment.oc1..abc123",
                    "STORAGE_ORACLE_BUCKET": "myocibucket",
                    "STORAGE_ORACLE_PREFIX": "chartmuseum",
                    "OCI_CONFIG_FILE": "/home/chartmuseum/.oci/config",
                }
            },
            "oracle": {"secret": {"enabled": True, "name": "chartmuseum-secret"}},
        },
        {},
    ),
    (
        "ingress-ci-values",
        {
            "ingress": {
                "enabled": True,
                "annotations": {
                    "kubernetes.io/ingress.class": "nginx",
                    "kubernetes.io/tls-acme": "true",
                },
                "hosts": [{"name": "chartmuseum.domain1.com", "path": "/", "tls": False}],
            }
        },
        {},
    ),
    (
        "gcs-set-flags",
        {
            "gcp": {"secret": {"enabled": True, "name": "chartmuseum-secret"}},
            "env": {
                "open": {
                    "STORAGE": "google",
                    "DISABLE_API": False,
                    "STORAGE_GOOGLE_BUCKET": "my-gcp-chartmuseum",
                }
            },
        },
        {},
    ),
]


@pytest.mark.parametrize(
    ("values", "existing"),
    [pytest.param(v, e, id=name) for name, v, e in README_EXAMPLES],
)
def test_readme_examples_have_the_same_meaning(render, values, existing) -> None:
    values = user_file(values)
    out = render(values)
    ours = assert_same_meaning(out, values, existing)
    # credentials never sit in the ConfigMap
    for name in ("AWS_SECRET_ACCESS_KEY", "BASIC_AUTH_PASS", "OS_PASSWORD"):
        assert name not in out.one("ConfigMap")["data"]
    assert ours.env["STORAGE"] == values["env"]["open"]["STORAGE"]


def test_irsa_and_kube2iam_examples(render) -> None:
    examples = {name: values for name, values, _ in README_EXAMPLES}
    out = render(user_file(examples["s3-irsa"]))
    assert out.environment()["AWS_SDK_LOAD_CONFIG"] == "true"
    account = out.one("ServiceAccount")
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/charts"
    }
    assert out.pod["serviceAccountName"] == account["metadata"]["name"]
    out = render(user_file(examples["s3-kube2iam"]))
    annotations = out.one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["iam.amazonaws.com/role"] == "{assumed role name}"


def test_google_key_in_values_is_stored_as_given(render) -> None:
    examples = {name: values for name, values, _ in README_EXAMPLES}
    out = render(user_file(examples["gcs-key-in-values"]))
    stored = out.one("Secret")["data"]["GOOGLE_CREDENTIALS_JSON"]
    assert base64.b64decode(stored) == b'{"type": "x"}'  # base64 once, not twice
    assert out.environment()["GOOGLE_APPLICATION_CREDENTIALS"] == (
        "/etc/secrets/google/credentials.json"
    )


def test_ingress_examples(render) -> None:
    values = user_file(
        {
            "ingress": {
                "enabled": True,
                "pathType": "ImplementationSpecific",
                "hosts": [
                    {
                        "name": "chartmuseum.domain.com",
                        "path": "/",
                        "tls": True,
                        "tlsSecret": "chartmuseum.tls-secret",
                    },
                    {"name": "chartmuseum.domain1.com", "path": "/"},  # no tls key
                    {
                        "name": "alb.domain.com",
                        "serviceName": "ssl-redirect",
                        "servicePort": "use-annotation",
                    },
                ],
                "extraPaths": [{"service": "ssl-redirect", "port": "use-annotation"}],
            }
        }
    )
    out = render(values)
    ingress = out.one("Ingress")["spec"]
    first, second, third = ingress["rules"]
    assert [p["path"] for p in first["http"]["paths"]] == ["/", "/"]
    extra, own = first["http"]["paths"]
    assert extra["backend"]["service"] == {
        "name": "ssl-redirect",
        "port": {"name": "use-annotation"},
    }
    assert own["backend"]["service"] == {"name": "cm-chartmuseum", "port": {"number": 8080}}
    assert own["pathType"] == "ImplementationSpecific"
    assert third["http"]["paths"][1]["backend"]["service"] == {
        "name": "ssl-redirect",
        "port": {"name": "use-annotation"},
    }
    assert ingress["tls"] == [
        {"hosts": ["chartmuseum.domain.com"], "secretName": "chartmuseum.tls-secret"}
    ]
    assert "https://chartmuseum.domain.com" in out.notes
    assert "http://chartmuseum.domain1.com" in out.notes
    assert second["host"] == "chartmuseum.domain1.com"


def test_kubernetes_style_extra_paths_pass_through(render) -> None:
    path = {
        "path": "/*",
        "pathType": "ImplementationSpecific",
        "backend": {"service": {"name": "ssl-redirect", "port": {"name": "use-annotation"}}},
    }
    values = {"ingress": {"enabled": True, "hosts": [{"name": "a.example"}], "extraPaths": [path]}}
    out = render(values)
    assert out.one("Ingress")["spec"]["rules"][0]["http"]["paths"][0] == path


# --- a production values file -------------------------------------------------------------

PRODUCTION = {
    "replicaCount": 3,
    "env": {
        "open": {
            "STORAGE": "amazon",
            "STORAGE_AMAZON_BUCKET": "charts-prod",
            "STORAGE_AMAZON_PREFIX": "helm",
            "STORAGE_AMAZON_REGION": "eu-west-1",
            "DISABLE_API": False,
            "ALLOW_OVERWRITE": True,
            "CACHE": "redis",
            "CACHE_REDIS_ADDR": "redis-master.redis.svc:6379",
            "CACHE_REDIS_DB": 1,
            "CHART_URL": "https://charts.example.com",
            "AUTH_ANONYMOUS_GET": True,
        },
        "existingSecret": "charts-credentials",
        "existingSecretMappings": {
            "BASIC_AUTH_USER": "user",
            "BASIC_AUTH_PASS": "password",
            "CACHE_REDIS_PASSWORD": "redis-password",
            "GOOGLE_CREDENTIALS_JSON": None,
        },
    },
    "persistence": {"enabled": True, "storageClass": "gp3"},
    "podAnnotations": {"iam.amazonaws.com/role": "charts-prod"},
    "ingress": {
        "enabled": True,
        "ingressClassName": "nginx",
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "20m"},
        "hosts": [
            {"name": "charts.example.com", "path": "/", "tls": True, "tlsSecret": "charts-tls"},
            {"name": "charts.internal", "path": "/"},
        ],
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}, "interval": "30s"},
}
PRODUCTION_SECRETS = {
    "charts-credentials": {"user": "admin", "password": "pw", "redis-password": "r3dis"}
}


def test_production_values(render) -> None:
    values = user_file(PRODUCTION)
    out = render(values, api_versions=[SERVICE_MONITOR_API])
    ours = assert_same_meaning(out, values, PRODUCTION_SECRETS)
    options = server_options(ours)
    assert options["storage"] == "amazon" and options["cache"] == "redis"
    assert options["basic_auth_pass"] == "pw" and options["cache_redis_password"] == "r3dis"
    # the ServiceMonitor turns metrics on, which the official chart left to the user
    assert options["enable_metrics"] is True
    assert out.one("ServiceMonitor")["spec"]["endpoints"][0]["interval"] == "30s"
    # S3 storage: the claim is kept (an upgrade must not delete it) but not mounted
    assert out.one("PersistentVolumeClaim")["spec"]["storageClassName"] == "gp3"
    assert "storage-volume" not in {v["name"] for v in out.pod["volumes"]}
    assert "is kept but not mounted" in out.notes
    assert [r["host"] for r in out.one("Ingress")["spec"]["rules"]] == [
        "charts.example.com",
        "charts.internal",
    ]


# --- an in-place upgrade from the official chart ----------------------------------------


def test_upgrade_keeps_resource_names_and_selector(render) -> None:
    """The names and the (immutable) selector the official chart gives release ``cm``."""
    values = user_file(
        {
            "persistence": {"enabled": True},
            "env": {"secret": {"BASIC_AUTH_USER": "a", "BASIC_AUTH_PASS": "b"}},
            "serviceAccount": {"create": True},
        }
    )
    out = render(values)
    names = {d["kind"]: d["metadata"]["name"] for d in out.docs}
    assert names == {
        "ConfigMap": "cm-chartmuseum",
        "Deployment": "cm-chartmuseum",
        "Secret": "cm-chartmuseum",
        "PersistentVolumeClaim": "cm-chartmuseum",
        "Service": "cm-chartmuseum",
        "ServiceAccount": "cm-chartmuseum",
    }
    assert out.one("Deployment")["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "chartmuseum", "app.kubernetes.io/instance": "cm"}
    }
    volumes = {v["name"]: v for v in out.pod["volumes"]}
    assert volumes["storage-volume"]["persistentVolumeClaim"] == {"claimName": "cm-chartmuseum"}


def test_service_traffic_policy_as_in_the_official_chart(render) -> None:
    for service, expected in [
        ({"type": "LoadBalancer"}, "Local"),
        ({"type": "NodePort", "nodePort": 30080}, "Local"),
        ({"type": "NodePort"}, None),
        ({"type": "ClusterIP"}, None),
    ]:
        spec = render(user_file({"service": service})).one("Service")["spec"]
        assert spec.get("externalTrafficPolicy") == expected, service


# --- ServiceMonitor, image trap, passthrough names ----------------------------------------


def test_service_monitor_needs_the_crd_or_force(render) -> None:
    values = {"serviceMonitor": {"enabled": True}}
    out = render(values)
    assert not out.all("ServiceMonitor")
    assert out.one("ConfigMap")["data"]["ENABLE_METRICS"] == "true"
    assert "no ServiceMonitor was created" in out.notes
    assert render(values, api_versions=[SERVICE_MONITOR_API]).one("ServiceMonitor")
    assert render({"serviceMonitor": {"enabled": True, "force": True}}).one("ServiceMonitor")
    assert not render({}, api_versions=[SERVICE_MONITOR_API]).all("ServiceMonitor")


def test_official_image_fails_with_an_explanation(helm, render) -> None:
    values = merged(official_defaults(), {})
    with pytest.raises(helm.HelmError, match="ChartMuseum's Go server"):
        render(values)
    values["image"]["allowGoServer"] = True
    out = render(values)
    assert out.container["image"] == "ghcr.io/helm/chartmuseum:v0.16.3"
    assert "runs ChartMuseum's Go server" in out.notes


def test_unknown_names_pass_through_and_typos_are_refused(helm, render) -> None:
    out = render(
        {
            "env": {
                "open": {"HTTPS_PROXY": "http://proxy:3128", "PORT": 9000},
                "secret": {"MY_TOKEN": "t"},
                "field": {"NODE_NAME": "spec.nodeName", "EMPTY": None},
            }
        }
    )
    env = out.environment()
    assert env["HTTPS_PROXY"] == "http://proxy:3128" and env["MY_TOKEN"] == "t"
    assert env["NODE_NAME"] == "<spec.nodeName>" and "EMPTY" not in env
    assert env["PORT"] == "8080"  # set by the chart, as the official chart's --port flag
    assert "env.open.PORT is set by the chart" in out.notes
    with pytest.raises(helm.HelmValuesError):
        render({"env": {"open": {"STORAGE_AMAZON_BUKET": "charts"}}})


def test_official_values_pass_lint(helm) -> None:
    result = helm.lint(CHART_DIR, user_file(PRODUCTION), strict=True)
    assert result["errors"] == [], result["messages"]


#: official keys whose default we leave unset on purpose (listed in helm-chart/README.md)
UNSET_ON_PURPOSE = {
    "strategy.type",
    "probes.livenessHttpGetConfig.scheme",
    "probes.readinessHttpGetConfig.scheme",
}


def test_our_own_defaults_are_a_superset_of_official_keys() -> None:
    """Every official key exists in our values.yaml, so `helm show values` documents it."""
    with open(os.path.join(CHART_DIR, "values.yaml"), encoding="utf-8") as fh:
        ours = yaml.safe_load(fh)

    def keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
        found = set()
        for key, value in tree.items():
            if prefix.startswith(("env.open.", "env.secret.", "env.existingSecretMappings.")):
                continue
            found.add(prefix + key)
            if isinstance(value, dict) and value:
                found |= keys(value, f"{prefix}{key}.")
        return found

    missing = keys(official_defaults()) - keys(ours)
    assert missing == UNSET_ON_PURPOSE
    with open(os.path.join(CHART_DIR, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    for key in sorted(UNSET_ON_PURPOSE):
        assert f"`{key.rpartition('.')[0]}`" in readme, key


def test_differing_defaults_are_listed_in_the_chart_readme() -> None:
    """Each default that differs from the official chart's is explained in the README."""
    with open(os.path.join(CHART_DIR, "values.yaml"), encoding="utf-8") as fh:
        ours = yaml.safe_load(fh)
    with open(os.path.join(CHART_DIR, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()

    def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
        if not isinstance(tree, dict) or not tree:
            return {prefix.rstrip("."): tree}
        found: dict[str, Any] = {}
        for key, value in tree.items():
            found |= leaves(value, f"{prefix}{key}.")
        return found

    official, mine = leaves(official_defaults()), leaves(ours)
    differing = sorted(
        key
        for key, value in official.items()
        if key in mine and mine[key] != value and not (_empty(mine[key]) and _empty(value))
    )
    undocumented = [key for key in differing if f"`{key}`" not in readme]
    assert not undocumented, undocumented


def test_make_image_builds_the_tag_the_chart_deploys(render) -> None:
    """`make image` tags the Dockerfile build exactly as the chart's default image."""
    import subprocess

    from tests.deploy.support import REPO

    dry_run = subprocess.run(
        ["make", "-s", "-n", "image"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    image = render({}).container["image"]
    assert dry_run[:4] == ["docker", "build", "-t", image]
