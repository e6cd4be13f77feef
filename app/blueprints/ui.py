"""The web UI: the repository page at ``<ctx>/`` and ``<ctx>/<tenant>/``, chart pages, and
the upload and delete forms.

Everything but the repository pages lives under a path whose first segment is hidden
(``<ctx>/.chart/<tenant>/<chart>``, ``<ctx>/.upload/<tenant>``...): tenants never have
hidden segments and no other route starts with one, so these URLs cannot clash with
``<tenant>/index.yaml``, ``<tenant>/charts/<file>``, ``/api/...`` or ``/v2/...`` at any
depth, ``--depth-dynamic`` included.

Pages need ``pull`` on their tenant and forms ``push``, as the API's routes do; the root
page at ``--depth N`` or ``--depth-dynamic`` needs any valid credentials and lists only the
tenants the user may pull from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import cast

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from app import __version__
from app.auth import LOGIN
from app.auth import PULL
from app.auth import PUSH
from app.auth import may
from app.auth import requires
from app.blueprints.server_info import template_page
from app.errors import ChartMuseumError
from app.lookup import find_version
from app.options import Config
from app.services import KEY
from app.services import Services
from app.services import current_repo
from app.services import services
from app.tenancy import storage_path
from app.tenant_urls import repo_prefixes
from app.ui import forms
from app.ui.links import STATIC_DIR
from app.ui.links import TEMPLATE_DIR
from app.ui.links import Links
from app.ui.listing import SORTS
from app.ui.listing import Listings
from app.ui.listing import paginate
from app.ui.pages import PackageViews
from app.ui.pages import commands
from app.ui.pages import created_at
from app.ui.pages import dependency_tenant
from app.ui.pages import maintainers
from app.ui.pages import version_rows
from app.ui.session import init_sessions
from app.ui.tenants import listable
from app.ui.tenants import visible
from backends.base import StorageError

HTML = "text/html; charset=utf-8"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
STATIC_MAX_AGE = 365 * 24 * 3600  # for URLs carrying the files' version


def _int_arg(name: str) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


class UI:
    """The views, with what they keep between requests (listings, rendered packages)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.links = Links(config)
        self.listings = Listings()
        self.packages = PackageViews()
        self.root_tenant = config.depth == 0 or config.depth_dynamic
        self.tenanted = config.depth > 0 or config.depth_dynamic

    def may_manage(self, tenant: str) -> bool:
        """Whether forms that change ``tenant`` are shown."""
        return not self.config.disable_api and may(PUSH, tenant)

    def globals(self) -> dict[str, Any]:
        """What every template can use."""
        return {
            "ui": self.links,
            "version": __version__,
            "created_at": created_at,
            "static_url": self.links.static_url,
            "csrf_field": forms.FIELD,
            "csrf_token": forms.csrf_token,
        }

    # -- pages ----------------------------------------------------------------------------
    def home(self) -> Response:
        """``<ctx>/``: the root repository's charts and/or the tenants one may pull from."""
        custom = self._template_page()
        if custom is not None:
            return custom
        charts = self.root_tenant and may(PULL, "")
        return self.repository_page("", charts=charts, error=None)

    def repository(self) -> Response:
        """``<ctx>/<tenant>/``: the tenant's charts."""
        custom = self._template_page()
        if custom is not None:
            return custom
        return self.repository_page(current_repo(), charts=True, error=None)

    def _template_page(self) -> Response | None:
        folder = self.config.web_template_path
        return template_page(folder) if folder else None

    def repository_page(
        self, tenant: str, charts: bool, error: ChartMuseumError | None, status: int = 200
    ) -> Response:
        """The charts of ``tenant`` (searched, sorted, paginated), the tenants below it,
        and the upload form; ``error`` is shown above them."""
        query = request.args.get("q", "")[:200]
        sort = request.args.get("sort", "")
        sort = sort if sort in SORTS else SORTS[0]
        page = None
        if charts:
            index = services().repository.index(tenant)
            found = self.listings.get(tenant, index).search(query, sort)
            page = paginate(found, _int_arg("page"))
        tenants = self._tenants(tenant, query)
        html = render_template(
            "ui/repository.html",
            tenant=tenant,
            query=query,
            sort=sort,
            page=page,
            tenants=tenants,
            manage=bool(tenant or self.root_tenant) and self.may_manage(tenant),
            error=error,
        )
        return Response(html, status=status, content_type=HTML)

    def _tenants(self, tenant: str, query: str) -> dict[str, Any] | None:
        """The page of tenants listed under ``tenant`` (None where there are none)."""
        if not self.tenanted or (tenant and not self.config.depth_dynamic):
            return None
        engine = services().repository.engine
        known = listable(engine.existing_repos(), self.config.depth, self.config.depth_dynamic)
        shown = visible(known, lambda t: may(PULL, t), query, under=tenant)
        page = paginate(shown, _int_arg("tpage"))
        repository = services().repository
        counts = {t: repository.index(t).counts() for t in page.items}
        return {"page": page, "counts": counts}

    def chart(self, name: str) -> Response:
        """A chart version's page (``?version=``: latest, exact or a semver range)."""
        tenant, repository = current_repo(), services().repository
        repository.check_chart(tenant, name)
        index = repository.index(tenant)
        entry = find_version(index, name, request.args.get("version", "") or "latest")
        record = entry.record()
        view = self.packages.get(entry.digest, lambda: repository.load(tenant, entry))
        versions = index.visible(name)
        html = render_template(
            "ui/chart.html",
            tenant=tenant,
            name=name,
            entry=entry,
            record=record,
            created=created_at(entry.mtime_ns),
            view=view,
            versions=version_rows(versions, self._has_file(tenant, entry.filename)),
            dependencies=self._dependencies(record),
            maintainers=maintainers(record),
            commands=commands(
                self.links.base_url(tenant),
                request.host,
                tenant,
                name,
                entry.version,
                services().registry is not None,
            ),
            manage=self.may_manage(tenant) and not self.config.disable_delete,
        )
        return Response(html, content_type=HTML)

    @staticmethod
    def _has_file(tenant: str, probe: str) -> Callable[[str], bool | None]:
        """Whether files of ``tenant`` are stored: one ``stat`` each on a local file system
        (``probe``, a stored file, tells), else one listing of the tenant for them all."""
        backend = services().repository.backend
        local = backend.local_file(storage_path(tenant, probe)) is not None
        listed: set[str] = set()

        def has(filename: str) -> bool | None:
            try:
                if local:
                    return backend.stat_object(storage_path(tenant, filename)) is not None
                if not listed:
                    listed.update(o.path for o in backend.list_objects(tenant))
                    listed.add("")  # listed, even when empty
                return filename in listed
            except StorageError:
                return None

        return has

    def _dependencies(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The record's dependencies, each with the URL of its page when it is a chart of
        this server that the user may pull."""
        server = self.links.server_url()
        found = []
        for dep in record.get("dependencies") or ():
            name, link = str(dep.get("name", "")), None
            tenant = dependency_tenant(str(dep.get("repository", "")), server)
            if tenant is not None and name and may(PULL, tenant):
                index = services().repository.index(tenant)
                if index.visible(name):
                    link = self.links.chart_url(tenant, name, str(dep.get("version", "")) or None)
            found.append({**dep, "link": link})
        return found

    # -- forms ----------------------------------------------------------------------------
    def upload(self) -> BaseResponse:
        """Store the form's package and/or provenance file, then show the chart."""
        tenant, repository = current_repo(), services().repository
        try:
            forms.check_csrf()
            files = forms.uploaded_files()
            force = "force" in request.form
            repository.save(tenant, files, force, "chart already exists")
        except ChartMuseumError as exc:
            return self.repository_page(tenant, True, exc, exc.status_code)
        charts = [f.metadata for f in files if f.metadata is not None]
        if not charts:
            flash(f"Uploaded {files[0].filename}.")
            return redirect(self.links.repo_url(tenant), 303)
        name, version = charts[0]["name"], charts[0]["version"]
        signed = " with its provenance file" if len(files) > 1 else ""
        flash(f"Uploaded {name} {version}{signed}.")
        return redirect(self.links.chart_url(tenant, name, version), 303)

    def delete(self, name: str, version: str) -> BaseResponse:
        """Delete a chart version, then show the chart (or the repository if it was the
        last version)."""
        tenant, repository = current_repo(), services().repository
        forms.check_csrf()
        repository.delete(tenant, name, version)
        flash(f"Deleted {name} {version}.")
        if repository.index(tenant).visible(name):
            return redirect(self.links.chart_url(tenant, name), 303)
        return redirect(self.links.repo_url(tenant), 303)

    def static_file(self, filename: str) -> Response:
        """A file of ``app/static/ui``; cached for a year when asked for with its version."""
        fresh = request.args.get("v") == self.links.version
        response = send_from_directory(
            STATIC_DIR, filename, max_age=STATIC_MAX_AGE if fresh else 300
        )
        if fresh:
            response.cache_control.immutable = True
        return response

    def error_page(self, exc: ChartMuseumError) -> Response:
        """An error of a page or form, as a page."""
        html = render_template("ui/error.html", error=exc, tenant=current_repo())
        return Response(html, status=exc.status_code, headers=exc.headers(), content_type=HTML)


def make_blueprint(config: Config) -> Blueprint:
    """The UI's routes for ``config`` (mounted under the context path); the forms only
    without ``--disable-api``, the delete form also only without ``--disable-delete``."""
    ui = UI(config)
    bp = Blueprint("ui", __name__, template_folder=TEMPLATE_DIR)
    bp.record_once(lambda state: _setup(state, config))
    bp.context_processor(ui.globals)
    bp.after_request(_page_headers)

    root_action = PULL if not ui.tenanted else LOGIN
    home = requires(root_action)(_bound(ui, ui.home))
    bp.add_url_rule("/", "home", home, methods=["GET"])
    if config.context_path:
        bp.add_url_rule("", "home_bare", home, methods=["GET"])
    page = requires(PULL)(_bound(ui, ui.repository))
    chart = requires(PULL)(_bound(ui, ui.chart))
    upload = requires(PUSH)(_bound(ui, ui.upload))
    delete = requires(PUSH)(_bound(ui, ui.delete))
    for tenant in repo_prefixes(config.depth, config.depth_dynamic):
        if tenant:
            bp.add_url_rule(f"{tenant}/", "repository", page, methods=["GET"])
        bp.add_url_rule(f"/.chart{tenant}/<name>", "chart", chart, methods=["GET"])
        if not config.disable_api:
            bp.add_url_rule(f"/.upload{tenant}", "upload", upload, methods=["POST"])
        if not (config.disable_api or config.disable_delete):
            rule = f"/.delete{tenant}/<name>/<version>"
            bp.add_url_rule(rule, "delete", delete, methods=["POST"])
    bp.add_url_rule("/.static/<path:filename>", "static_file", ui.static_file, methods=["GET"])
    return bp


def _bound(ui: UI, method: Callable[..., BaseResponse]) -> Callable[..., BaseResponse]:
    """A view calling ``method``, its errors shown as a page (``requires`` marks functions,
    not methods). Errors of the checks every route shares (path, auth) stay JSON."""

    def view(**kwargs: Any) -> BaseResponse:
        try:
            return method(**kwargs)
        except ChartMuseumError as exc:
            return ui.error_page(exc)

    view.__name__ = view.__qualname__ = method.__name__
    view.__doc__ = method.__doc__
    return view


def _setup(state: BlueprintSetupState, config: Config) -> None:
    app = cast(Flask, state.app)
    found: Services = app.extensions[KEY]
    init_sessions(app, config, found.repository.engine.settings.cache_dir)


def _page_headers(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    if request.endpoint != "ui.static_file":
        response.headers.setdefault("Cache-Control", "no-cache, private")
    return response
