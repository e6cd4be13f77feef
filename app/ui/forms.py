"""The web UI's forms: CSRF tokens (Flask-WTF's csrf module) and the upload form's files.

Tokens are signed with the application's secret key and tied to the session cookie, which
is only set for users who get a form (those who may push). Flask-WTF is imported with the
first form: importing it (with WTForms) is about 9 ms of every worker's start.
"""

from __future__ import annotations

from flask import request

from app.errors import BadRequest
from app.repository import Pending
from app.repository import parse_chart
from app.repository import parse_prov

FIELD = "csrf_token"
CHART_FIELD, PROV_FIELD = "chart", "prov"

__all__ = ["FIELD", "check_csrf", "csrf_token", "uploaded_files"]


def csrf_token() -> str:
    """The token a form of this session carries."""
    from flask_wtf.csrf import generate_csrf

    return str(generate_csrf())


def check_csrf() -> None:
    """:raises BadRequest: unless the submitted form carries this session's token."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.form.get(FIELD))
    except ValidationError as exc:
        raise BadRequest(f"{exc} Reload the page and try again.") from exc


def _file(field: str) -> bytes | None:
    storage = request.files.get(field)
    data: bytes = storage.read() if storage is not None else b""
    return data or None


def uploaded_files() -> list[Pending]:
    """The package and/or provenance file of the upload form, checked like an API upload.

    :raises BadRequest: with the API's message (no file, or an invalid one).
    """
    files: dict[str, Pending] = {}
    chart, prov = _file(CHART_FIELD), _file(PROV_FIELD)
    if chart is not None:
        item = parse_chart(chart)
        files[item.filename] = item
    if prov is not None:
        item = parse_prov(prov)
        files.setdefault(item.filename, item)
    if not files:
        raise BadRequest(
            f"no package or provenance file found in form fields {CHART_FIELD} and {PROV_FIELD}"
        )
    return list(files.values())
