"""The web UI's URLs: pages, static files, and links taken from chart metadata."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

from flask import request
from flask import url_for

from app.options import Config

APP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC_DIR = os.path.join(APP_DIR, "static", "ui")
TEMPLATE_DIR = os.path.join(APP_DIR, "templates")
WEB_SCHEMES = ("https://", "http://")


def static_version() -> str:
    """A digest of the static files: their URLs carry it, so they can be cached for long."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(STATIC_DIR)):
        with open(os.path.join(STATIC_DIR, name), "rb") as fh:
            digest.update(name.encode() + b"\0" + fh.read())
    return digest.hexdigest()[:12]


class Links:
    """URLs of the UI's pages for the current request (``ui`` in the templates)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.version = static_version()

    def static_url(self, filename: str) -> str:
        """A static file's URL, with the files' version (cached for long)."""
        return url_for("ui.static_file", filename=filename, v=self.version)

    @staticmethod
    def tenant_args(tenant: str) -> dict[str, str]:
        """The ``repo`` URL value of ``tenant`` (none for the root)."""
        return {"repo": tenant} if tenant else {}

    def repo_url(self, tenant: str, **args: Any) -> str:
        """The repository page of ``tenant`` (the root page for ``""``)."""
        if not tenant:
            return url_for("ui.home", **args)
        return url_for("ui.repository", repo=tenant, **args)

    def chart_url(self, tenant: str, name: str, version: str | None = None) -> str:
        """The page of chart ``name`` (its latest version unless ``version``)."""
        values: dict[str, Any] = {"name": name, **self.tenant_args(tenant)}
        if version:
            values["version"] = version
        return url_for("ui.chart", **values)

    def server_url(self) -> str:
        """This server's URL as the client reached it, with the context path."""
        return request.host_url.rstrip("/") + self.config.context_path

    def base_url(self, tenant: str) -> str:
        """The Helm repository URL of ``tenant``."""
        return self.server_url() + (f"/{quote(tenant)}" if tenant else "")

    def icon_url(self, icon: str) -> str:
        """A chart's icon when it is a web URL, else the default icon."""
        if icon.startswith(WEB_SCHEMES):
            return icon
        return self.static_url("chart.svg")

    @staticmethod
    def web_link(url: Any) -> str | None:
        """``url`` when it is a web URL (chart metadata is the uploader's: no other scheme
        becomes a link)."""
        text = str(url or "")
        return text if text.startswith(WEB_SCHEMES) else None

    def page_url(self, tenant: str, param: str, number: int) -> str:
        """The repository page of ``tenant`` with the current query and ``param`` set to
        ``number`` (also right on a page answering a form)."""
        args = request.args.to_dict()
        args[param] = str(number)
        return self.repo_url(tenant) + "?" + urlencode(args)

    def crumbs(self, tenant: str) -> list[tuple[str, str | None]]:
        """The tenant path's segments, each with the URL of its page when it has one."""
        parts = tenant.split("/") if tenant else []
        found: list[tuple[str, str | None]] = []
        for i, part in enumerate(parts, 1):
            path = "/".join(parts[:i])
            linked = self.config.depth_dynamic or i == len(parts)
            found.append((part, self.repo_url(path) if linked else None))
        return found
