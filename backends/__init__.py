"""Storage backends, registered by name and imported only when used.

The registry's order is ChartMuseum's order of ``--storage`` names; it also orders the
backends' options in the server's option table. Third-party backends register through
the ``chartmuseum.backends`` entry-point group (``name = module:Class``).
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points

from backends.base import StorageBackend
from backends.settings import BackendSettings


class BackendUnavailable(Exception):
    """The backend exists but cannot be used here (missing SDK or not available yet)."""


#: name -> ``module:Class``
_KNOWN: dict[str, str] = {
    "local": "backends.local:LocalFilesystemBackend",
    "amazon": "backends.amazon:AmazonS3Backend",
    "google": "backends.google:GoogleCSBackend",
    "oracle": "backends.oracle:OracleOSBackend",
    "microsoft": "backends.microsoft:MicrosoftBlobBackend",
    "alibaba": "backends.alibaba:AlibabaOSSBackend",
    "openstack": "backends.openstack:OpenstackSwiftBackend",
    "baidu": "backends.baidu:BaiduBOSBackend",
    "etcd": "backends.etcd:EtcdBackend",
    "tencent": "backends.tencent:TencentCOSBackend",
}
_loaded: dict[str, type[StorageBackend]] = {}
_entry_points_read = False


def _load_entry_points() -> None:
    global _entry_points_read
    if not _entry_points_read:
        _entry_points_read = True
        for ep in entry_points(group="chartmuseum.backends"):
            _KNOWN.setdefault(ep.name, ep.value)


def backend_names() -> list[str]:
    """Names that can be passed to ``--storage``, in ChartMuseum's order."""
    _load_entry_points()
    return list(_KNOWN)


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
    module_name, _, cls_name = _KNOWN[name].partition(":")
    if importlib.util.find_spec(module_name) is None:
        raise BackendUnavailable(f"--storage={name} is not supported yet")
    try:
        cls: type[StorageBackend] = getattr(importlib.import_module(module_name), cls_name)
    except ImportError as exc:
        hint = f"pip install 'chartmuseum[{name}]'"
        raise BackendUnavailable(f"storage backend {name} needs: {hint} ({exc})") from exc
    _loaded[name] = cls
    return cls


def backend_settings_types() -> dict[str, type[BackendSettings]]:
    """Each usable backend's settings class, in registry order (for the option table).

    Importing a backend module imports no SDK, so only a broken plug-in is left out.
    """
    found: dict[str, type[BackendSettings]] = {}
    for name in backend_names():
        try:
            found[name] = get_backend_class(name).settings_type
        except BackendUnavailable:
            continue
    return found
