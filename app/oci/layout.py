"""Where the registry keeps its own objects: a ``.oci/`` folder inside each tenant's folder.

No tenant can be named ``.oci`` (hidden segments are refused) and listings of the tenant's
folder are not recursive, so nothing here is ever taken for a chart, here or by ChartMuseum.
"""

from __future__ import annotations

FOLDER = ".oci"


def _join(tenant: str, *parts: str) -> str:
    return "/".join(p for p in (tenant, FOLDER, *parts) if p)


def uploads_folder(tenant: str) -> str:
    """Parts of blob uploads in progress: ``<id>.<offset>``."""
    return _join(tenant, "uploads")


def upload_part(tenant: str, upload_id: str, offset: int) -> str:
    """One part of an upload, named so that a listing sorts parts by offset."""
    return _join(tenant, "uploads", f"{upload_id}.{offset:020d}")


def marker_name(upload_id: str) -> str:
    """The empty object that says an upload exists and when it started."""
    return f"{upload_id}.start"


def blobs_folder(tenant: str) -> str:
    """Uploaded blobs no manifest uses yet."""
    return _join(tenant, "blobs")


def blob(tenant: str, digest: str) -> str:
    """An uploaded blob: ``sha256-<hex>``."""
    return _join(tenant, "blobs", digest.replace(":", "-"))


def manifest(tenant: str, chart: str, tag: str) -> str:
    """The manifest a client pushed for a chart version (with its config blob)."""
    return _join(tenant, "manifests", chart, f"{tag}.json")
