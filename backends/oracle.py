"""Oracle Cloud Infrastructure Object Storage, through the ``oci`` SDK (imported on first use).

Choices made here:

* Listing is ``ListObjects`` on ``<prefix>/<folder>/`` with delimiter ``/``, asking for the
  ``name,size,timeModified`` fields and following ``nextStartWith`` over every page (ChartMuseum
  made one call, so only the first 1,000 objects, without times: bug 14.48; and it matched the
  textual prefix ``<prefix>/<folder>``, so ``org1x.tgz`` leaked into tenant ``org1``).
* Create-if-absent is OCI's conditional write, ``PutObject`` with ``if_none_match='*'``:
  412 ``IfNoneMatchFailed`` means the object exists.
* ``Last-Modified`` (get, head, put) has one-second precision while listings carry
  milliseconds, so listing times are floored to whole seconds: all three agree.
* Credentials: ``ORACLE_AUTH_METHOD=InstancePrincipal`` uses instance principals (as
  ChartMuseum); otherwise the OCI config file ``$OCI_CONFIG_FILE`` (default ``~/.oci/config``),
  profile ``$OCI_CONFIG_PROFILE`` (default ``DEFAULT``). A missing or invalid configuration is a
  startup error. ``--storage-oracle-region`` overrides the profile's region.
* Endpoint: the SDK derives it from the region and has no endpoint setting of its own, so
  ``ORACLE_OBJECT_STORAGE_ENDPOINT`` (e.g. ``http://127.0.0.1:8080``), when set, replaces it.
* As ChartMuseum does at startup, the bucket is created in ``--storage-oracle-compartmentid``
  (no public access) when it does not exist; here on first use in each process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

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
from backends.settings import missing_flags
from backends.settings import option

_NS = 1_000_000_000
ENDPOINT_ENV = "ORACLE_OBJECT_STORAGE_ENDPOINT"


def _sdk() -> Any:
    """The ``oci`` package, or BackendUnavailable."""
    try:
        import oci
    except ImportError as exc:
        from backends import BackendUnavailable

        raise BackendUnavailable(
            f"storage backend oracle needs: pip install 'chartmuseum[oracle]' ({exc})"
        ) from exc
    return oci


def _errors() -> tuple[type[Exception], ...]:
    oci = _sdk()
    from oci._vendor.requests.exceptions import RequestException

    return (oci.exceptions.ServiceError, oci.exceptions.ClientError, RequestException, ValueError)


def _status(exc: Exception) -> int:
    return int(getattr(exc, "status", 0) or 0)


def _error(op: str, path: str, exc: Exception) -> StorageError:
    code = getattr(exc, "code", None)
    if _status(exc):
        detail = f"{_status(exc)} {code or ''}".strip()
    else:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return StorageError(f"oci {op} {path}: {detail}")


def _header_ns(headers: Any) -> int:
    return int(parsedate_to_datetime(headers["last-modified"]).timestamp()) * _NS


def _load_config(region: str) -> dict[str, Any]:
    """The OCI SDK configuration (file and profile from the standard env vars)."""
    oci = _sdk()
    path = os.environ.get("OCI_CONFIG_FILE") or oci.config.DEFAULT_LOCATION
    profile = os.environ.get("OCI_CONFIG_PROFILE") or oci.config.DEFAULT_PROFILE
    try:
        config: dict[str, Any] = oci.config.from_file(path, profile)
        if region:
            config["region"] = region
        oci.config.validate_config(config)
    except (oci.exceptions.ClientError, ValueError) as exc:
        raise BackendConfigError(f"oracle storage: invalid OCI configuration: {exc}") from exc
    return config


@dataclass(frozen=True)
class OracleSettings(BackendSettings, backend="oracle"):
    """``--storage-oracle-*``."""

    bucket: str = option("", "OCI bucket")
    prefix: str = option("", "OCI prefix")
    region: str = option("", "OCI region")
    compartmentid: str = option("", "OCI compartment OCID")


class OracleOSBackend(StorageBackend):
    """Objects are ``<prefix>/<path>`` in one OCI Object Storage bucket."""

    name = "oracle"
    max_key_bytes = 1024  # Object Storage: object names up to 1,024 characters
    settings_type = OracleSettings

    def __init__(
        self,
        bucket: str,
        prefix: str,
        compartment: str,
        config: dict[str, Any] | None,
        endpoint: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.compartment = compartment
        self.config = config  # None: instance principals
        self.endpoint = endpoint
        self._clients: PerThread[Any] = PerThread(self._make_client)
        self._lock = threading.Lock()
        self._ready_pid = -1
        self._namespace = ""

    @classmethod
    def from_config(cls, settings: OracleSettings) -> OracleOSBackend:
        """The settings and the OCI credentials."""
        missing = missing_flags(
            ("--storage-oracle-bucket", settings.bucket),
            ("--storage-oracle-compartmentid", settings.compartmentid),
        )
        if missing:
            raise BackendConfigError("Missing required flags(s): " + ", ".join(missing))
        principal = os.environ.get("ORACLE_AUTH_METHOD", "") == "InstancePrincipal"
        sdk_config = None if principal else _load_config(settings.region)
        return cls(
            settings.bucket,
            settings.prefix,
            settings.compartmentid,
            sdk_config,
            os.environ.get(ENDPOINT_ENV) or None,
        )

    def _client(self) -> Any:
        """An ObjectStorageClient per process and thread (the SDK's clients are not shared)."""
        client = self._clients.get()
        if self._ready_pid != os.getpid():
            self._prepare(client)
        return client

    def _make_client(self) -> Any:
        oci = _sdk()
        options: dict[str, Any] = {"service_endpoint": self.endpoint}
        config = self.config
        if config is None:
            options["signer"] = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
            config = {"region": options["signer"].region}
        return oci.object_storage.ObjectStorageClient(config, **options)

    def _prepare(self, client: Any) -> None:
        """Once per process: look up the namespace; create the bucket when it is missing."""
        with self._lock:
            if self._ready_pid == os.getpid():
                return
            try:
                namespace = client.get_namespace().data
                try:
                    client.head_bucket(namespace, self.bucket)
                except _sdk().exceptions.ServiceError as exc:
                    if _status(exc) != 404:
                        raise
                    self._create_bucket(client, namespace)
            except _errors() as exc:
                raise _error("open bucket", self.bucket, exc) from exc
            self._namespace, self._ready_pid = namespace, os.getpid()

    def _create_bucket(self, client: Any, namespace: str) -> None:
        details = _sdk().object_storage.models.CreateBucketDetails(
            name=self.bucket, compartment_id=self.compartment, public_access_type="NoPublicAccess"
        )
        try:
            client.create_bucket(namespace, details)
        except _sdk().exceptions.ServiceError as exc:
            if _status(exc) != 409:  # created meanwhile by another process
                raise

    def _key(self, path: str) -> str:
        return object_key(self.prefix, path)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects directly in ``prefix`` (delimiter ``/``, every page)."""
        folder = folder_key(self.prefix, prefix)
        found: list[ObjectInfo] = []
        start = None
        try:
            client = self._client()
            while True:
                page = client.list_objects(
                    self._namespace,
                    self.bucket,
                    prefix=folder,
                    delimiter="/",
                    fields="name,size,timeModified",
                    limit=1000,
                    **({"start": start} if start else {}),
                ).data
                for item in page.objects or []:
                    name = item.name[len(folder) :]
                    if name and "/" not in name:
                        modified = int(item.time_modified.timestamp()) * _NS
                        found.append(ObjectInfo(name, modified, int(item.size)))
                start = page.next_start_with
                if not start:
                    return found
        except _errors() as exc:
            raise _error("list", folder, exc) from exc

    def stat_object(self, path: str) -> ObjectInfo | None:
        """HeadObject."""
        try:
            headers = self._client().head_object(self._namespace, self.bucket, self._key(path))
        except _errors() as exc:
            if _status(exc) == 404:
                return None
            raise _error("head", path, exc) from exc
        return ObjectInfo(path, _header_ns(headers.headers), int(headers.headers["content-length"]))

    def get_object(self, path: str) -> StoredObject:
        """GetObject; the time is its ``Last-Modified``."""
        try:
            response = self._client().get_object(self._namespace, self.bucket, self._key(path))
            content = response.data.content
        except _errors() as exc:
            if _status(exc) == 404:
                raise ObjectNotFound(f"{path}: ObjectNotFound") from exc
            raise _error("get", path, exc) from exc
        return StoredObject(path, content, _header_ns(response.headers))

    def put_object(
        self, path: str, content: bytes, *, overwrite: bool = True, durable: bool = True
    ) -> ObjectInfo:
        """One PutObject; without ``overwrite`` it carries ``If-None-Match: *``."""
        extra = {} if overwrite else {"if_none_match": "*"}
        try:
            response = self._client().put_object(
                self._namespace, self.bucket, self._key(path), content, **extra
            )
        except _errors() as exc:
            if not overwrite and _status(exc) == 412:
                raise ObjectExists(path) from exc
            raise _error("put", path, exc) from exc
        if "last-modified" in response.headers:
            return ObjectInfo(path, _header_ns(response.headers), len(content))
        info = self.stat_object(path)
        if info is None:
            raise StorageError(f"oci put {path}: the object vanished after the write")
        return info

    def delete_object(self, path: str) -> None:
        """DeleteObject (404 ``ObjectNotFound`` for a missing object)."""
        try:
            self._client().delete_object(self._namespace, self.bucket, self._key(path))
        except _errors() as exc:
            if _status(exc) == 404:
                raise ObjectNotFound(f"{path}: ObjectNotFound") from exc
            raise _error("delete", path, exc) from exc

    def describe(self) -> str:
        """``oracle:oci://<bucket>/<prefix>``."""
        return f"oracle:oci://{self.bucket}/{self.prefix}"
