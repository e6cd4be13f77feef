"""Names the storage can hold: checked before any I/O, so a name is never stored and then
lost (hidden by the backend, too long to list back) and never fails deep in a backend.

The limits are the backend's own (:meth:`backends.base.StorageBackend.check_name`); the
messages quote the offending name (shortened), never a storage location.
"""

from __future__ import annotations

from app.charts.filenames import package_filename
from app.errors import BadRequest
from app.index.statefile import STATEFILE
from app.tenancy import check_filename
from app.tenancy import storage_path
from backends.base import InvalidName
from backends.base import StorageBackend

SHOWN = 60


def shorten(name: str) -> str:
    """``name`` cut to a readable length for a message."""
    return name if len(name) <= SHOWN else name[: SHOWN - 3] + "..."


def check_repo_name(backend: StorageBackend, repo: str) -> None:
    """A tenant path whose folder, and state file in it, the backend can hold.

    :raises BadRequest:
    """
    if not repo:
        return
    if STATEFILE in repo.split("/"):
        raise BadRequest(f"invalid repository path {shorten(repo)}: {STATEFILE} is reserved")
    try:
        backend.check_name(storage_path(repo, STATEFILE))
    except InvalidName as exc:
        raise BadRequest(f"invalid repository path {shorten(repo)}: {exc}") from exc


def check_file_name(backend: StorageBackend, repo: str, filename: str) -> str:
    """The storage path of a file the backend can hold. :raises BadRequest:"""
    check_filename(filename)
    path = storage_path(repo, filename)
    try:
        backend.check_name(path)
    except InvalidName as exc:
        raise BadRequest(f"invalid file name {shorten(filename)}: {exc}") from exc
    return path


def check_chart_name(
    backend: StorageBackend, repo: str, name: str, version: str = "", suffix: str = ".prov"
) -> str:
    """The storage path of a chart version's package, when the backend can hold it and
    (with the default ``suffix``) its provenance file too.

    Without a version, only the name is checked (as part of the shortest file name).
    :raises BadRequest:
    """
    filename = package_filename(name, version)
    try:
        backend.check_name(storage_path(repo, check_filename(filename + suffix)))
    except InvalidName as exc:
        what = f"{shorten(name)} {shorten(version)}" if version else shorten(name)
        raise BadRequest(f"invalid chart name or version {what}: {exc}") from exc
    return storage_path(repo, filename)
