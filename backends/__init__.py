"""Storage backends, registered by name and imported only when used.

Third-party backends can register through the ``chartmuseum.backends`` entry-point group
or :func:`register_backend`.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import NamedTuple

from backends.base import StorageBackend


class BackendUnavailable(Exception):
    """The backend exists but cannot be used here (missing SDK or not available yet)."""


class _Known(NamedTuple):
    target: str
    hint: str


_KNOWN: dict[str, _Known] = {
    "local": _Known("backends.local:LocalFilesystemBackend", ""),
    "amazon": _Known("backends.amazon:AmazonS3Backend", "pip install 'chartmuseum[amazon]'"),
    "google": _Known("backends.google:GoogleCSBackend", "pip install 'chartmuseum[google]'"),
    "microsoft": _Known(
        "backends.microsoft:MicrosoftBlobBackend", "pip install 'chartmuseum[microsoft]'"
    ),
    "alibaba": _Known("backends.alibaba:AlibabaOSSBackend", "pip install 'chartmuseum[alibaba]'"),
    "openstack": _Known(
        "backends.openstack:OpenstackSwiftBackend", "pip install 'chartmuseum[openstack]'"
    ),
    "oracle": _Known("backends.oracle:OracleOSBackend", "pip install 'chartmuseum[oracle]'"),
    "baidu": _Known("backends.baidu:BaiduBOSBackend", "pip install 'chartmuseum[baidu]'"),
    "tencent": _Known("backends.tencent:TencentCOSBackend", "pip install 'chartmuseum[tencent]'"),
    "etcd": _Known("backends.etcd:EtcdBackend", "pip install 'chartmuseum[etcd]'"),
}
#: the names ChartMuseum accepts, in its order; those missing from _KNOWN are not available yet
SUPPORTED_NAMES = (
    "local",
    "amazon",
    "google",
    "oracle",
    "microsoft",
    "alibaba",
    "openstack",
    "baidu",
    "etcd",
    "tencent",
)
registry = MappingProxyType(_KNOWN)
_loaded: dict[str, type[StorageBackend]] = {}


def register_backend(name: str, target: str, hint: str = "", *, clobber: bool = False) -> None:
    """Register ``module:Class`` under ``name``; refuses to replace one unless ``clobber``."""
    if name in _KNOWN and not clobber:
        raise ValueError(f"storage backend {name!r} is already registered")
    _KNOWN[name] = _Known(target, hint)
    _loaded.pop(name, None)


def _load_entry_points() -> None:
    for ep in entry_points(group="chartmuseum.backends"):
        if ep.name not in _KNOWN:
            register_backend(ep.name, ep.value)


def get_backend_class(name: str) -> type[StorageBackend]:
    """The backend class registered as ``name`` (imported on first use).

    :raises KeyError: unknown name. :raises BackendUnavailable: known but not usable here.
    """
    if name in _loaded:
        return _loaded[name]
    if name not in _KNOWN:
        _load_entry_points()
    if name not in _KNOWN:
        raise KeyError(name)
    module_name, _, cls_name = _KNOWN[name].target.partition(":")
    if importlib.util.find_spec(module_name) is None:
        raise BackendUnavailable(f"--storage={name} is not supported yet")
    try:
        cls: type[StorageBackend] = getattr(importlib.import_module(module_name), cls_name)
    except ImportError as exc:
        hint = _KNOWN[name].hint or f"pip install 'chartmuseum[{name}]'"
        raise BackendUnavailable(f"storage backend {name} needs: {hint} ({exc})") from exc
    _loaded[name] = cls
    return cls


def available_backends() -> list[str]:
    """Names that can be passed to ``--storage``."""
    return sorted(set(_KNOWN) | set(SUPPORTED_NAMES))
