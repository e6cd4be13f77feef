"""OpenStack Swift storage through python-swiftclient (Swift object API v1).

Auth, as ChartMuseum's ``--storage-openstack-auth``:

* ``auto``: Keystone v2.0/v3 (swiftclient with python-keystoneclient) from the ``OS_*``
  variables. The version follows the end of ``OS_AUTH_URL`` (``/v2.0``, ``/v3``), else
  ``OS_IDENTITY_API_VERSION``, else v3. ``--storage-openstack-region`` picks the catalog's
  ``object-store`` endpoint (interface ``OS_ENDPOINT_TYPE``/``OS_INTERFACE``, default public);
  ``OS_DOMAIN_NAME``/``OS_DOMAIN_ID`` default both the user and the project domain.
* ``v1``: Swift v1 auth (tempauth, swauth...) from ``ST_AUTH``, ``ST_USER``, ``ST_KEY``.

Missing variables are a :class:`BackendConfigError` naming them (ChartMuseum panics). Choices:

* Listing: ``prefix=<prefix>/<folder>/`` with ``delimiter=/``, ``page_size`` names a page.
* Times: Swift's ``Last-Modified`` is the object timestamp rounded *up* to the second, while
  listings have microseconds; as in ChartMuseum, listing times are rounded up too, so put,
  list, get and stat report the same instant.
* Create-if-absent: ``PUT`` with ``If-None-Match: *``. Swift checks it when the upload starts
  and commits at the end, so concurrent creates can all succeed (the newest timestamp wins).
  Best available approach: creates of a key are serialised within the process, each carries
  a unique writer id (object metadata), and the object is read back twice, ``settle_seconds``
  apart; a writer that does not find its id lost and raises :class:`ObjectExists`. Across
  processes, only a rival committing more than ``settle_seconds`` later can still slip by.
* One ``Connection`` per thread and process (it is not thread-safe); a process's threads
  start from the first token it obtained and re-authenticate on 401 by themselves.
"""

from __future__ import annotations

import email.utils
import mimetypes
import os
import re
import threading
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from backends import BackendUnavailable
from backends.base import BackendConfigError
from backends.base import ObjectExists
from backends.base import ObjectInfo
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError
from backends.base import StoredObject
from backends.base import folder_key
from backends.base import object_key
from backends.clients import PerThread
from backends.settings import BackendSettings
from backends.settings import option

WRITER_META = "x-object-meta-chartmuseum-writer"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME = ("OS_PROJECT_NAME", "OS_TENANT_NAME")
_ID = ("OS_PROJECT_ID", "OS_TENANT_ID")
_INTERFACE = ("OS_ENDPOINT_TYPE", "OS_INTERFACE")
#: (name reported when missing, variables that can supply it)
_REQUIRED: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "v1": [(name, (name,)) for name in ("ST_AUTH", "ST_USER", "ST_KEY")],
    "auto": [
        ("OS_AUTH_URL", ("OS_AUTH_URL",)),
        ("OS_USERNAME or OS_USERID", ("OS_USERNAME", "OS_USERID", "OS_USER_ID")),
        ("OS_PASSWORD", ("OS_PASSWORD",)),
        ("OS_PROJECT_NAME or OS_PROJECT_ID", _NAME + _ID),
    ],
}
#: swiftclient ``os_options`` per identity version: option -> variables, the first set wins
_OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "2.0": {"tenant_name": _NAME, "tenant_id": _ID, "endpoint_type": _INTERFACE},
    "3": {
        "project_name": _NAME,
        "project_id": _ID,
        "user_id": ("OS_USERID", "OS_USER_ID"),
        "user_domain_name": ("OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME"),
        "user_domain_id": ("OS_USER_DOMAIN_ID", "OS_DOMAIN_ID"),
        "project_domain_name": ("OS_PROJECT_DOMAIN_NAME", "OS_DOMAIN_NAME"),
        "project_domain_id": ("OS_PROJECT_DOMAIN_ID", "OS_DOMAIN_ID"),
        "endpoint_type": _INTERFACE,
    },
}


def _swiftclient(keystone: bool = False) -> Any:
    """The swiftclient module (checking keystoneclient too for Keystone auth)."""
    try:
        from swiftclient import client

        if keystone:
            import keystoneclient  # noqa: F401  # swiftclient's Keystone v2/v3 auth needs it
    except ImportError as exc:
        raise BackendUnavailable(
            f"storage backend openstack needs: pip install 'chartmuseum[openstack]' ({exc})"
        ) from exc
    return client


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((env[n] for n in names if env.get(n)), "")


def _auth_settings(auth: str, env: Mapping[str, str], region: str) -> dict[str, Any]:
    """swiftclient ``Connection`` arguments for ``auth`` from the environment."""
    missing = [label for label, names in _REQUIRED[auth] if not _first(env, names)]
    if missing:
        raise BackendConfigError(
            f"Openstack (object storage): missing environment variable {', '.join(missing)}"
        )
    if auth == "v1":
        v1 = {"authurl": env["ST_AUTH"], "user": env["ST_USER"], "key": env["ST_KEY"]}
        return v1 | {"auth_version": "1"}
    url = env["OS_AUTH_URL"]
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    hint = env.get("OS_IDENTITY_API_VERSION", "")
    v2 = re.fullmatch(r"v2(\.0)?", last) or (not last.startswith("v") and hint.startswith("2"))
    version = "2.0" if v2 else "3"
    options = {key: _first(env, names) for key, names in _OPTIONS[version].items()}
    options["region_name"] = region
    return {
        "authurl": url,
        "user": env.get("OS_USERNAME") or None,
        "key": env["OS_PASSWORD"],
        "auth_version": version,
        "os_options": {key: value for key, value in options.items() if value},
    }


def _listing_time_ns(value: str) -> int:
    """A listing's ``last_modified`` (naive UTC, µs) rounded up to the second, in ns."""
    stamp = datetime.fromisoformat(value)
    delta = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)) - _EPOCH
    return (delta.days * 86400 + delta.seconds + bool(delta.microseconds)) * 1_000_000_000


def _header_time_ns(headers: Mapping[str, str]) -> int:
    """The ``Last-Modified`` header (whole seconds) in ns; now when absent."""
    value = headers.get("last-modified")
    if not value:
        return time.time_ns()
    return int(email.utils.parsedate_to_datetime(value).timestamp()) * 1_000_000_000


def _content_type(name: str) -> str:
    kind, encoding = mimetypes.guess_type(name)
    return "application/gzip" if encoding == "gzip" else kind or "application/octet-stream"


@dataclass(frozen=True)
class OpenstackSettings(BackendSettings, backend="openstack"):
    """``--storage-openstack-*``."""

    container: str = option("", "Swift container")
    prefix: str = option("", "Swift prefix")
    region: str = option("", "OpenStack region")
    cacert: str = option("", "CA bundle for OpenStack endpoints")
    auth: str = option("auto", "OpenStack auth protocol: auto or v1")

    def check(self) -> None:
        """:raises BackendConfigError: for an auth protocol other than ``auto`` or ``v1``."""
        if self.auth not in _REQUIRED:
            raise BackendConfigError(f"Unsupported OpenStack auth protocol: {self.auth}")


class OpenstackSwiftBackend(StorageBackend):
    """Objects are ``<prefix>/<path>`` in one Swift container."""

    name = "openstack"
    max_key_bytes = 1024  # Swift: object names up to 1,024 bytes (max_object_name_length)
    settings_type = OpenstackSettings
    #: names asked for per listing request
    page_size = 1000
    #: pause between the two read-backs that confirm a create (see the module docstring)
    settle_seconds = 0.1

    def __init__(self, container: str, prefix: str, settings: dict[str, Any]) -> None:
        self.container = container
        self.prefix = prefix.strip("/")
        self._settings = settings
        self._conns: PerThread[Any] = PerThread(self._new_conn)
        self._shared: tuple[int, str, str] | None = None  # pid, storage URL, token
        self._locks = [threading.Lock() for _ in range(64)]

    @classmethod
    def from_config(cls, settings: OpenstackSettings) -> OpenstackSwiftBackend:
        """Build from the settings and the ``OS_*`` / ``ST_*`` variables."""
        settings.check()
        auth = settings.auth
        required = [("container", settings.container)]
        if auth == "auto":
            required.append(("region", settings.region))
        missing = [f"--storage-openstack-{flag}" for flag, value in required if not value]
        if missing:
            raise BackendConfigError(f"Missing required flags(s): {', '.join(missing)}")
        connection = _auth_settings(auth, os.environ, settings.region)
        cacert = settings.cacert
        if cacert and not os.path.isfile(cacert):
            raise BackendConfigError(f"--storage-openstack-cacert: file not found: {cacert}")
        try:
            _swiftclient(keystone=auth == "auto")
        except BackendUnavailable as exc:
            raise BackendConfigError(str(exc)) from exc
        connection |= {"cacert": cacert or None, "retries": 3, "timeout": 60}
        connection |= {"starting_backoff": 0.5, "max_backoff": 4}
        return cls(settings.container, settings.prefix, connection)

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    def _conn(self) -> Any:
        """This thread's Connection (new after a fork), starting from the shared token."""
        return self._conns.get()

    def _new_conn(self) -> Any:
        settings = dict(self._settings)
        shared = self._shared
        if shared is not None and shared[0] == os.getpid():
            settings |= {"preauthurl": shared[1], "preauthtoken": shared[2]}
        return _swiftclient().Connection(**settings)

    def _call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Connection method on the container; 404: ObjectNotFound, 412: ObjectExists."""
        conn = self._conn()
        try:
            result = getattr(conn, method)(self.container, *args, **kwargs)
        except Exception as exc:  # swiftclient, requests and keystoneclient errors
            status = getattr(exc, "http_status", None)
            if status == 404:
                raise ObjectNotFound(f"{what}: not found") from None
            if status == 412:
                raise ObjectExists(what) from None
            detail = f"HTTP {status} {getattr(exc, 'http_reason', '')}" if status else str(exc)
            raise StorageError(f"openstack: {what}: {detail.strip()[:300]}") from None
        shared, pid = self._shared, os.getpid()
        if conn.url and conn.token and (shared is None or shared[0] != pid):
            self._shared = (pid, conn.url, conn.token)
        return result

    def _no_container(self) -> StorageError:
        return StorageError(f"openstack: container {self.container} not found")

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly inside ``prefix``, all pages."""
        start, marker, found = folder_key(self.prefix, prefix), "", []
        while True:
            query = {"prefix": start, "delimiter": "/", "marker": marker, "limit": self.page_size}
            try:
                _, page = self._call(f"list {start or '/'}", "get_container", **query)
            except ObjectNotFound:
                raise self._no_container() from None
            for item in page:
                name = item.get("name", "")[len(start) :]
                if name and "/" not in name:
                    stamp = _listing_time_ns(item["last_modified"])
                    found.append(ObjectInfo(name, stamp, item["bytes"]))
            if len(page) < self.page_size:
                return found
            marker = page[-1].get("name") or page[-1]["subdir"]

    def get_object(self, path: str) -> StoredObject:
        """Read one object; missing: ObjectNotFound."""
        headers, body = self._call(f"get {path}", "get_object", self._key(path))
        return StoredObject(path, body, _header_time_ns(headers))

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HEAD the object; None when absent."""
        headers = self._head(path, self._key(path))
        if headers is None:
            return None
        return ObjectInfo(path, _header_time_ns(headers), int(headers.get("content-length", 0)))

    def _head(self, path: str, key: str) -> Mapping[str, str] | None:
        try:
            headers: Mapping[str, str] = self._call(f"stat {path}", "head_object", key)
        except ObjectNotFound:
            return None
        return headers

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """Store an object (one PUT); without ``overwrite`` a confirmed create-if-absent."""
        key = self._key(path)
        if overwrite:
            headers = self._put(path, key, content, {})
        else:
            with self._locks[zlib.crc32(key.encode()) % len(self._locks)]:
                headers = self._create(path, key, content)
        return ObjectInfo(path, _header_time_ns(headers), len(content))

    def _create(self, path: str, key: str, content: bytes) -> Mapping[str, str]:
        """``PUT If-None-Match: *`` with a writer id, confirmed by two read-backs."""
        writer = uuid.uuid4().hex
        try:
            headers = self._put(path, key, content, {"If-None-Match": "*", WRITER_META: writer})
        except ObjectExists:
            headers = self._head(path, key) or {}
            if headers.get(WRITER_META) != writer:  # else: a retry met our own first attempt
                raise
        for pause in (0.0, self.settle_seconds):
            time.sleep(pause)
            stored = self._head(path, key)
            if stored is None:  # created, then deleted by someone else meanwhile
                break
            if stored.get(WRITER_META) != writer:
                raise ObjectExists(path)
            headers = stored
        return headers

    def _put(self, path: str, key: str, data: bytes, headers: dict[str, str]) -> Mapping[str, str]:
        response: dict[str, Any] = {}
        options = {"content_length": len(data), "content_type": _content_type(key)}
        try:
            self._call(
                f"put {path}",
                "put_object",
                key,
                data,
                headers=headers,
                response_dict=response,
                **options,
            )
        except ObjectNotFound:
            raise self._no_container() from None
        stored: Mapping[str, str] = response.get("headers", {})
        return stored

    def delete_object(self, path: str) -> None:
        """Delete one object; Swift answers 404 for a missing one: ObjectNotFound."""
        self._call(f"delete {path}", "delete_object", self._key(path))

    def describe(self) -> str:
        """``openstack:swift://container/prefix (auth URL)``, no credentials."""
        url = urlsplit(self._settings.get("authurl") or "")
        where = f"{url.scheme}://{url.netloc.rpartition('@')[2]}{url.path}"
        return f"openstack:swift://{self.container}/{self.prefix} ({where})"
