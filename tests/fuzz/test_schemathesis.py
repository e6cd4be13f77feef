"""Fuzz the live server with schemathesis against its own OpenAPI description.

Every answer must be documented (status, content type, headers, body) and none may be a
5xx; afterwards the storage must hold exactly the files of the uploads answered 201 (minus
those deleted with a 200). Bodies of upload requests are random bytes, and sometimes real
chart packages or provenance files from tests.helpers, so that uploads succeed too.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
import requests
import schemathesis
from hypothesis import strategies as st

from app.openapi import build_spec
from app.options import Config
from app.startup import normalise
from tests.fuzz.ledger import CHARTS
from tests.fuzz.ledger import LEDGER
from tests.fuzz.ledger import POOL_CHARTS
from tests.fuzz.ledger import PROVS
from tests.fuzz.ledger import Failure
from tests.fuzz.ledger import stored_files
from tests.fuzz.settings import CONFIG
from tests.fuzz.settings import OPTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPEC = build_spec(normalise(Config(**OPTIONS)))
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)

_PACKAGES = st.sampled_from(list(CHARTS.values()))
_PROVENANCE = st.sampled_from(list(PROVS.values()))
_NAMES = sorted({name for name, _ in POOL_CHARTS})
_VERSIONS = [*sorted({version for _, version in POOL_CHARTS}), "latest"]

# raw upload bodies: random bytes or, about half the time, a real package / provenance file
schemathesis.openapi.media_type("application/gzip", st.one_of(st.binary(), _PACKAGES))
schemathesis.openapi.media_type("application/pgp-signature", st.one_of(st.binary(), _PROVENANCE))


def _op(context) -> str:
    return context.operation.definition.raw.get("operationId", "")


@schema.hook
def flatmap_body(context, body):
    """Multipart uploads: sometimes put real files in the chart and/or prov fields."""
    if _op(context) != "upload_chart" or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(
        st.just(body),
        _PACKAGES.map(lambda package: {**body, "chart": package}),
        st.tuples(_PACKAGES, _PROVENANCE).map(lambda p: {**body, "chart": p[0], "prov": p[1]}),
    )


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Sometimes aim at what exists (the tenant ``fuzz``, the pool's charts) or at a tenant
    whose name is too long for a folder."""
    params = dict(path_parameters or {})
    if "repo" not in params:
        return st.just(path_parameters)
    known = {"repo": st.sampled_from(["fuzz", "fuzz", "tenant" * 50])}
    if "name" in params:
        known["name"] = st.sampled_from(_NAMES)
    if "version" in params:
        known["version"] = st.sampled_from(_VERSIONS)
    if "filename" in params:
        known["filename"] = st.sampled_from(sorted(CHARTS) + sorted(PROVS))
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(known).map(params.__or__))


@schema.hook
def after_call(context, case, response):
    """Count every answer; track the uploads answered 201 and the deletes answered 200."""
    LEDGER.record(case.operation.label, response.status_code)
    # the path parameters as sent: schemathesis percent-encodes them in place
    params = {k: unquote(str(v)) for k, v in (case.path_parameters or {}).items()}
    if _op(context) in ("upload_chart", "upload_prov") and response.status_code == 201:
        request = response.request
        LEDGER.uploaded(params["repo"], request.headers.get("Content-Type", ""), request.body)
    if _op(context) == "delete" and response.status_code == 200:
        LEDGER.deleted(params["repo"], params["name"], params["version"])


def _record_failures(response, failures) -> None:
    """Record the failed checks of one answer for the summary."""
    body = response.content.decode("utf-8", "replace") if response.content else ""
    request = f"{response.request.method} {response.request.url}"
    for failure in failures:
        title = getattr(failure, "title", type(failure).__name__)
        message = getattr(failure, "message", "").strip()
        problem = f"{title}: {message.splitlines()[0]}" if message else title
        LEDGER.failures.append(Failure(request, response.status_code, body, problem))


def test_served_description_is_the_fuzzed_one(fuzz_server):
    served = requests.get(fuzz_server.url + "/api/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(SPEC))


@schema.parametrize()
def test_api(case, fuzz_server):
    response = case.call(base_url=fuzz_server.url)
    try:
        case.validate_response(response, transport_kwargs={"base_url": fuzz_server.url})
    except BaseExceptionGroup as group:
        _record_failures(response, group.exceptions)
        raise


def test_storage_holds_only_what_was_answered_201(fuzz_server, fuzz_storage):
    assert LEDGER.operations, "the fuzz run did not run"
    fuzz_server.stop()  # let pending state-file writes finish
    expected, found = LEDGER.expected_files(), stored_files(fuzz_storage)
    LEDGER.storage_checked = "matches" if expected == found else "MISMATCH"
    LEDGER.storage_checked += f" ({len(found)} files)"
    assert found - expected == set(), "stored without a 201 (or after a 200 delete)"
    assert expected - found == set(), "answered 201 but not stored (or deleted)"
    assert LEDGER.unexplained_201s() == 0
    assert LEDGER.uploads > 0, "no upload succeeded: the real packages never reached the server"
