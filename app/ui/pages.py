"""What a chart page shows beyond the index entry: the package's README, values and
templates rendered once per package, the helm commands, dependency links, version rows."""

from __future__ import annotations

import datetime
import re
import shlex
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from app.charts.loader import LoadedChart
from app.errors import NameInvalid
from app.index.entry import IndexEntry
from app.oci.names import parse_name


@dataclass(frozen=True)
class PackageView:
    """The parts of a chart page that come from the package itself."""

    readme: Markup | None
    values: Markup | None
    values_size: int
    templates: tuple[tuple[str, int], ...]


def package_view(chart: LoadedChart) -> PackageView:
    """Render the README and ``values.yaml`` of a loaded chart."""
    # imported on the first chart page: Markdown, the sanitiser and Pygments take as long
    # to import as the rest of the server, and a worker serving Helm needs none of them
    from app.ui.readme import render_readme
    from app.ui.values import highlight_yaml

    readme = None
    if chart.readme is not None:
        readme = render_readme(chart.readme_name, chart.readme)
    values = highlight_yaml(chart.values_raw) if chart.values_raw is not None else None
    return PackageView(
        readme=readme,
        values=values,
        values_size=len(chart.values_raw or b""),
        templates=tuple((name, len(data)) for name, data in chart.templates),
    )


class PackageViews:
    """The :class:`PackageView` of the last ``size`` packages shown, by digest (a package's
    rendering never changes), so a page seen before costs no parse and no rendering."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._views: OrderedDict[str, PackageView] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, load: Callable[[], LoadedChart]) -> PackageView:
        """The view of package ``digest``; ``load()`` gives the chart the first time."""
        with self._lock:
            view = self._views.get(digest)
            if view is not None:
                self._views.move_to_end(digest)
                return view
        view = package_view(load())
        with self._lock:
            self._views[digest] = view
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return view


@dataclass(frozen=True)
class Commands:
    """Copy-ready helm commands for one chart version."""

    repo_add: str
    install: str
    oci_pull: str = ""
    oci_install: str = ""


def repo_alias(tenant: str) -> str:
    """The local name suggested for ``helm repo add``."""
    return shlex.quote(tenant.replace("/", "-")) if tenant else "chartmuseum"


def release_name(chart: str) -> str:
    """A release name Helm accepts (lower-case DNS label, at most 53 characters)."""
    name = re.sub(r"[^a-z0-9-]+", "-", f"my-{chart}".lower()).strip("-")
    return name[:53].rstrip("-") or "my-release"


def commands(base_url: str, host: str, tenant: str, name: str, version: str, oci: bool) -> Commands:
    """``helm repo add`` / ``install`` (and ``pull``/``install oci://`` when the registry is
    on and the chart has an OCI name), quoted for a POSIX shell where needed.

    :param base_url: the repository's URL, where its ``index.yaml`` is.
    :param host: the server's host (and port) as the client reached it.
    """
    alias, release = repo_alias(tenant), release_name(name)
    flag = f" --version {shlex.quote(version)}"
    made = Commands(
        repo_add=f"helm repo add {alias} {shlex.quote(base_url)}",
        install=f"helm install {release} {alias}/{name}{flag}",
    )
    if not oci:
        return made
    path = f"{tenant}/{name}" if tenant else name
    try:
        parse_name(path, 0, True)
    except NameInvalid:
        return made
    url = shlex.quote(f"oci://{host}/{path}")
    return Commands(
        made.repo_add,
        made.install,
        oci_pull=f"helm pull {url}{flag}",
        oci_install=f"helm install {release} {url}{flag}",
    )


def dependency_tenant(repository: str, server_url: str) -> str | None:
    """The tenant of this server that a dependency's ``repository`` names (``""``: the
    root), or None when it names another server, a local alias or nothing.

    :param server_url: this server's URL with its context path, no trailing slash
        (``oci://`` references name the registry, at the server root).
    """
    found = urlsplit(repository.rstrip("/"))
    server = urlsplit(server_url)
    if found.netloc != server.netloc:
        return None
    if found.scheme == "oci":
        return found.path.strip("/")
    if found.scheme not in ("http", "https"):
        return None
    path = found.path
    if server.path and not (path == server.path or path.startswith(server.path + "/")):
        return None
    return path[len(server.path) :].strip("/")


@dataclass(frozen=True)
class VersionRow:
    """A line of the versions table."""

    version: str
    created: datetime.datetime
    digest: str
    filename: str
    signed: bool | None  # a .prov is stored (None: could not tell)


def version_rows(
    entries: list[IndexEntry], has_prov: Callable[[str], bool | None]
) -> list[VersionRow]:
    """The rows of ``entries`` (newest first); ``has_prov(filename)`` tells about the
    provenance file of a package."""
    return [
        VersionRow(
            e.version, created_at(e.mtime_ns), e.digest, e.filename, has_prov(e.filename + ".prov")
        )
        for e in entries
    ]


def created_at(ns: int) -> datetime.datetime:
    """A package time (the index's ``created``) as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(ns / 1e9, datetime.UTC)


def maintainers(record: dict[str, Any]) -> list[dict[str, str]]:
    """The record's maintainers with their text fields only."""
    return [
        {k: str(v) for k, v in m.items() if k in ("name", "email", "url")}
        for m in record.get("maintainers") or ()
        if isinstance(m, dict)
    ]
