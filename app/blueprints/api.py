"""``/api/<repo>/...``: list, describe, upload and delete chart versions."""

from __future__ import annotations

import base64
import re
from typing import Any

from flask import Blueprint
from flask import Response
from flask import request

from app.auth import PULL
from app.auth import PUSH
from app.auth import requires
from app.charts.loader import LoadedChart
from app.errors import BadRequest
from app.errors import NotFound
from app.gocompat.json_encoding import go_json
from app.http import JSON_TYPE
from app.http import json_response
from app.lookup import find_version
from app.options import Config
from app.repository import Pending
from app.repository import parse_chart
from app.repository import parse_prov
from app.services import current_repo
from app.services import services

_ATOI = re.compile(r"[+-]?\d+")


def _query_int(name: str, minimum: int, message: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not _ATOI.fullmatch(raw) or int(raw) < minimum:
        raise BadRequest(message)
    return int(raw)


@requires(PULL)
def list_charts() -> Response:
    """All charts (paginated by name with ``offset``/``limit``), versions newest first."""
    offset = _query_int("offset", 0, "offset is not a valid non-negative integer") or 0
    limit = _query_int("limit", 1, "limit is not a valid positive integer")
    index = services().repository.index(current_repo())
    names = index.chart_names()
    names = names[offset : offset + limit] if limit is not None else names[offset:]
    return Response(index.json_listing(names), content_type=JSON_TYPE)


@requires(PULL)
def chart_versions(name: str) -> Response:
    """Every version of one chart."""
    services().repository.check_chart(current_repo(), name)
    index = services().repository.index(current_repo())
    versions = index.visible(name)
    if not versions:
        raise NotFound("chart not found")
    body = b"[" + b",".join(e.json for e in versions) + b"]"
    return Response(body, content_type=JSON_TYPE)


@requires(PULL)
def describe(name: str, version: str) -> Response:
    """One chart version (``latest``, exact, or a semver constraint)."""
    services().repository.check_chart(current_repo(), name)
    entry = find_version(services().repository.index(current_repo()), name, version)
    return Response(entry.json, content_type=JSON_TYPE)


def _load_stored(name: str, version: str) -> LoadedChart:
    repository = services().repository
    repository.check_chart(current_repo(), name)
    entry = find_version(repository.index(current_repo()), name, version)
    return repository.load(current_repo(), entry)


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


@requires(PULL)
def templates(name: str, version: str) -> Response:
    """The chart's templates (base64) and parsed values."""
    chart = _load_stored(name, version)
    items = [{"name": n, "data": base64.b64encode(d).decode()} for n, d in chart.templates]
    body = {"templates": items, "values": _sorted_keys(chart.values)}
    return Response(go_json(body), content_type=JSON_TYPE)


@requires(PULL)
def values(name: str, version: str) -> Response:
    """The chart's ``values.yaml`` as stored (comments kept)."""
    chart = _load_stored(name, version)
    if chart.values_raw is None:
        raise NotFound("values.yaml not found")
    return Response(chart.values_raw, content_type="application/yaml")


def _force() -> bool:
    return "force" in request.args


def _is_multipart() -> bool:
    return (request.content_type or "").split(";")[0].strip() == "multipart/form-data"


def _first_file(field: str) -> bytes | None:
    """The first file part of ``field`` (later ones are ignored); empty counts as absent."""
    storage = request.files.get(field)
    data: bytes = storage.read() if storage is not None else b""
    return data or None


def upload_chart(config: Config) -> Response:
    """``POST /api/charts``: a raw package body, or a multipart chart and/or provenance."""
    repository = services().repository
    if not _is_multipart():
        item = parse_chart(request.get_data(cache=False))
        repository.save(current_repo(), [item], _force(), "file already exists")
        return json_response({"saved": True}, 201)
    chart_fields = ("chart", config.chart_post_form_field_name)
    prov_fields = ("prov", config.prov_post_form_field_name)
    files: dict[str, Pending] = {}
    for field in dict.fromkeys(chart_fields + prov_fields):  # a field read twice reads empty
        data = _first_file(field)
        if data is not None:
            item = parse_chart(data) if field in chart_fields else parse_prov(data)
            files.setdefault(item.filename, item)
    if not files:
        raise BadRequest(
            "no package or provenance file found in form fields "
            f"{config.chart_post_form_field_name} and {config.prov_post_form_field_name}"
        )
    repository.save(current_repo(), list(files.values()), _force(), "chart already exists")
    return json_response({"saved": True}, 201)


@requires(PUSH)
def upload_prov() -> Response:
    """``POST /api/prov``: a raw provenance file."""
    item = parse_prov(request.get_data(cache=False))
    services().repository.save(current_repo(), [item], _force(), "file already exists")
    return json_response({"saved": True}, 201)


@requires(PUSH)
def delete(name: str, version: str) -> Response:
    """Delete one chart version and its provenance file."""
    services().repository.delete(current_repo(), name, version)
    return json_response({"deleted": True})


def make_blueprint(config: Config) -> Blueprint:
    """The API routes; DELETE only unless ``--disable-delete``."""
    bp = Blueprint("api", __name__)
    bp.add_url_rule("/charts", "list_charts", list_charts, methods=["GET"])
    upload = requires(PUSH)(lambda: upload_chart(config))
    bp.add_url_rule("/charts", "upload_chart", upload, methods=["POST"])
    bp.add_url_rule("/prov", "upload_prov", upload_prov, methods=["POST"])
    bp.add_url_rule("/charts/<name>", "chart_versions", chart_versions, methods=["GET"])
    bp.add_url_rule("/charts/<name>/<version>", "describe", describe, methods=["GET"])
    bp.add_url_rule("/charts/<name>/<version>/templates", "templates", templates)
    bp.add_url_rule("/charts/<name>/<version>/values", "values", values)
    if not config.disable_delete:
        bp.add_url_rule("/charts/<name>/<version>", "delete", delete, methods=["DELETE"])
    return bp
