"""Fuzz the live server with schemathesis against its own OpenAPI description.

Every answer must be documented (status, content type, headers, body) and none may be a
5xx; afterwards the storage must hold exactly the files of the uploads answered 201 (minus
those deleted with a 200), the API's and the OCI registry's (a manifest PUT answered 201
stores a chart), and the registry's own objects (``<tenant>/.oci/``: uploads in progress,
staged blobs, pushed manifests) must be exactly those its acknowledged writes leave. Bodies
of upload requests are random bytes, and sometimes real chart packages, provenance files,
registry blobs and manifests of a pool, so that uploads and pushes succeed too.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import strategies as st

from app.openapi import build_spec
from app.options import Config
from app.startup import normalise
from tests.fuzz.ledger import BLOBS
from tests.fuzz.ledger import CHARTS
from tests.fuzz.ledger import LEDGER
from tests.fuzz.ledger import MANIFEST_TYPE
from tests.fuzz.ledger import MANIFESTS
from tests.fuzz.ledger import POOL_CHARTS
from tests.fuzz.ledger import PROVS
from tests.fuzz.ledger import Failure
from tests.fuzz.ledger import is_digest
from tests.fuzz.ledger import is_registry_object
from tests.fuzz.ledger import registry_name
from tests.fuzz.ledger import sha256
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
DEPTH = OPTIONS["depth"]
# OCI repository names: the seeded tenant's charts, another tenant, a tenant too long for a
# folder, and names with the wrong number of segments
_REGISTRY_NAMES = [
    *(f"fuzz/{name}" for name in _NAMES),
    "fuzz/fuzzchart",
    "elsewhere/fuzzchart",
    "tenant" * 50 + "/fuzzchart",
    "fuzzchart",
    "fuzz/sub/fuzzchart",
]
_REFERENCES = sorted({m.tag for m in MANIFESTS} | {m.digest for m in MANIFESTS})
_DIGESTS = sorted(BLOBS)

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
    if "name" in params and "repo" not in params:
        return _registry_path_parameters(params)
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


def _registry_path_parameters(params: dict) -> st.SearchStrategy:
    """Registry operations: aim at the pool's names, tags, digests and at the uploads in
    progress (with a name of their tenant)."""
    known = {"name": st.sampled_from(_REGISTRY_NAMES)}
    if "reference" in params:
        known["reference"] = st.sampled_from(_REFERENCES)
    if "digest" in params:
        known["digest"] = st.sampled_from(_DIGESTS)
    if "upload_id" in params:
        # the draw's shape never depends on the ledger (hypothesis replays draws): a slot
        # number, mapped to an upload in progress only when the example is built
        slot = {"slot": st.integers(0, 15), "other": st.booleans()}
        return st.one_of(st.just(params), st.fixed_dictionaries(slot).map(_live_upload(params)))
    return st.one_of(st.just(params), st.fixed_dictionaries(known).map(params.__or__))


def _live_upload(params: dict):
    """Maps a drawn slot to the path of an upload in progress (``params`` when none is)."""

    def pick(drawn: dict) -> dict:
        live = LEDGER.live_uploads()
        if not live:
            return params
        tenant, upload_id = live[drawn["slot"] % len(live)]
        chart = "other" if drawn["other"] else "fuzzchart"
        return {**params, "name": f"{tenant}/{chart}", "upload_id": upload_id}

    return pick


def _sent_params(case) -> dict[str, str]:
    """The path parameters as sent: schemathesis percent-encodes them in place."""
    return {k: unquote(str(v)) for k, v in (case.path_parameters or {}).items()}


# -- server bugs found by this fuzz run and not fixed yet ----------------------------------------
def _first(value) -> str:
    """A query value as the server reads it (the first of repeated ones)."""
    if isinstance(value, list):
        return _first(value[0]) if value else ""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


# values of the registry's ``n`` that int() and str.isdigit() disagree on, or that are no
# number at all
_ODD_PAGE_SIZES = ["\u00b2", "\u0663", "00", "-1", "1.5", " 1", "1e2", ""]


@schema.hook
def flatmap_query(context, query):
    """Registry listings: sometimes an odd ``n``."""
    if not _op(context).startswith(("oci_catalog", "oci_tags")) or not isinstance(query, dict):
        return st.just(query)
    odd = st.sampled_from(_ODD_PAGE_SIZES).map(lambda n: {**query, "n": n})
    return _mostly(odd, query, 4)


@schema.hook
def flatmap_case(context, case):
    """Registry operations: sometimes send what a client pushing a pool chart sends (the
    blobs, with their digest; a manifest of them, by tag or digest), or continue an upload in
    progress where it stands (Content-Range, and the digest of everything it received)."""
    op = _op(context)
    if op == "oci_put_manifest":
        push, nested = _manifest_push(case), _nested_manifest(case)
        return st.integers(0, 9).flatmap(
            lambda i: push if i < 7 else nested if i == 7 else st.just(case)
        )
    if op == "oci_start_upload":
        return _mostly(st.one_of(_blob_upload(case), _blob_mount(case)), case)
    if op in ("oci_patch_upload", "oci_finish_upload"):
        return _mostly(st.just(case).map(_continue_upload), case)
    return st.just(case)


def _mostly(strategy: st.SearchStrategy, generated, odds: int = 3) -> st.SearchStrategy:
    """``strategy`` one time out of ``odds`` (three: two times), else what was generated."""
    if odds == 3:
        return st.integers(0, 2).flatmap(lambda i: strategy if i else st.just(generated))
    return st.integers(0, odds - 1).flatmap(lambda i: st.just(generated) if i else strategy)


def _nested_manifest(case) -> st.SearchStrategy:
    def nest(depth: int):
        case.body, case.media_type = b"[" * depth + b"]" * depth, MANIFEST_TYPE
        return case

    return st.sampled_from([100, 2000]).map(nest)


def _manifest_push(case) -> st.SearchStrategy:
    names = st.sampled_from(["fuzz", "fuzz", "fuzz", "elsewhere"])

    def push(drawn):
        tenant, manifest, by, other_name = drawn
        chart = other_name if other_name else manifest.chart
        reference = {"tag": manifest.tag, "digest": manifest.digest, "other": "1.2.3"}[by]
        case.path_parameters = {
            "name": quote(f"{tenant}/{chart}", safe=""),
            "reference": quote(reference, safe=""),
        }
        case.body, case.media_type = manifest.data, MANIFEST_TYPE
        return case

    by = st.sampled_from(["tag", "tag", "digest", "other"])
    wrong = st.integers(0, 4).flatmap(lambda i: st.sampled_from(_NAMES) if i == 0 else st.just(""))
    return st.tuples(names, st.sampled_from(MANIFESTS), by, wrong).map(push)


def _blob_upload(case) -> st.SearchStrategy:
    def upload(drawn):
        name, digest = drawn
        case.path_parameters = {"name": quote(name, safe="")}
        case.query = {"digest": digest}
        case.body, case.media_type = BLOBS[digest], "application/octet-stream"
        return case

    return st.tuples(st.sampled_from(_REGISTRY_NAMES), st.sampled_from(_DIGESTS)).map(upload)


def _blob_mount(case) -> st.SearchStrategy:
    def mount(drawn):
        name, source, digest = drawn
        case.path_parameters = {"name": quote(name, safe="")}
        case.query = {"mount": digest, "from": source}
        case.body, case.media_type = None, None
        return case

    names = st.sampled_from(_REGISTRY_NAMES)
    return st.tuples(names, names, st.sampled_from(_DIGESTS)).map(mount)


def _continue_upload(case):
    """Content-Range where the upload stands; for a completion, the digest of all of it."""
    params = _sent_params(case)
    parsed = registry_name(params.get("name", ""), DEPTH)
    upload = LEDGER.upload(parsed[0], params.get("upload_id", "")) if parsed else None
    if upload is None:
        return case
    body = case.body if isinstance(case.body, bytes) else b""
    if not body:
        body = b"chunk"
        case.body, case.media_type = body, "application/octet-stream"
    start = len(upload.content)
    case.headers = {**(case.headers or {}), "Content-Range": f"{start}-{start + len(body) - 1}"}
    if _op_id(case) == "oci_finish_upload":
        case.query = {**(case.query or {}), "digest": sha256(upload.content + body)}
    return case


def _op_id(case) -> str:
    return case.operation.definition.raw.get("operationId", "")


@schema.hook
def after_call(context, case, response):
    """Count every answer; track the uploads answered 201, the deletes answered 200 and the
    registry's acknowledged writes."""
    LEDGER.record(case.operation.label, response.status_code)
    params = _sent_params(case)
    op = _op(context)
    if op in ("upload_chart", "upload_prov") and response.status_code == 201:
        request = response.request
        LEDGER.uploaded(params["repo"], request.headers.get("Content-Type", ""), request.body)
    if op == "delete" and response.status_code == 200:
        LEDGER.deleted(params["repo"], params["name"], params["version"])
    if op.startswith("oci_"):
        _track_registry(op, params, response)


def _request_body(response) -> bytes:
    body = response.request.body or b""
    return body.encode() if isinstance(body, str) else body


def _track_registry(op: str, params: dict[str, str], response) -> None:
    """Apply one registry answer to the ledger's model of the registry's storage."""
    status = response.status_code
    headers = {name: values[0] for name, values in response.headers.items() if values}
    if "name" not in params:  # /v2/ and the catalog write nothing
        return
    parsed = registry_name(params["name"], DEPTH)
    if parsed is None:
        if 200 <= status < 300:
            LEDGER.unexplained.append(f"{op} answered {status} for {params}")
        return
    tenant, chart = parsed
    # the query as the server read it (first value of each name)
    query: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True):
        query.setdefault(key, value)
    upload_id = params.get("upload_id", "")
    if op == "oci_start_upload" and status == 202:
        LEDGER.upload_started(tenant, headers["docker-upload-uuid"])
    elif op == "oci_start_upload" and status == 201:
        _stored_by_post(tenant, params["name"], query, headers["location"].rsplit("/", 1)[1])
    elif op == "oci_patch_upload" and status == 202:
        upload = LEDGER.chunk(tenant, upload_id, _request_body(response))
        expected = f"0-{max(len(upload.content) - 1, 0)}" if upload else headers["range"]
        if headers["range"] != expected:
            LEDGER.unexplained.append(
                f"PATCH {upload_id}: Range {headers['range']}, not {expected}"
            )
    elif op == "oci_finish_upload" and status == 201:
        LEDGER.upload_ended(tenant, upload_id)
        LEDGER.blob_stored(tenant, query["digest"])
    elif (
        op == "oci_finish_upload" and status == 400 and _dropped(tenant, upload_id, query, response)
    ):
        LEDGER.upload_ended(tenant, upload_id)  # as distribution does, a failed completion
    elif op == "oci_cancel_upload" and status == 204:
        LEDGER.upload_ended(tenant, upload_id)
    elif op == "oci_put_manifest" and status == 201:
        LEDGER.pushed(tenant, chart, _request_body(response))
    elif op == "oci_delete_manifest" and status == 202:
        LEDGER.manifest_deleted(tenant, chart, params["reference"])


def _stored_by_post(tenant: str, name: str, query: dict[str, str], location: str) -> None:
    """A POST answered 201 stored a blob: mounted from another repository of the tenant
    (copied unless it is this one), or uploaded whole with ``?digest=``."""
    mount, source, digest = query.get("mount"), query.get("from"), query.get("digest")
    if mount and source and location == mount:
        if source != name:
            LEDGER.blob_stored(tenant, mount)
        elif digest == mount:  # mounted from itself (nothing written) or uploaded whole
            LEDGER.blob_stored(tenant, mount, maybe=True)
        return
    if digest is None or location != digest:
        LEDGER.unexplained.append(f"POST answered 201 for {location} with {query}")
        return
    LEDGER.blob_stored(tenant, digest)


def _dropped(tenant: str, upload_id: str, query: dict[str, str], response) -> bool:
    """Whether a completion answered 400 ended the upload: a well-formed digest the
    content does not have (the other 400s are answered before the upload is read)."""
    try:
        code = response.json()["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    live = LEDGER.upload(tenant, upload_id) is not None
    return live and code == "DIGEST_INVALID" and is_digest(query.get("digest", ""))


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
    stored = stored_files(fuzz_storage)
    found = {path for path in stored if not is_registry_object(path)}
    objects = stored - found
    expected = LEDGER.expected_files()
    registry, maybe = LEDGER.expected_registry()
    matches = expected == found and registry <= objects <= registry | maybe
    LEDGER.storage_checked = "matches" if matches else "MISMATCH"
    LEDGER.storage_checked += f" ({len(found)} files, {len(objects)} registry objects)"
    assert found - expected == set(), "stored without a 201 (or after a 200 delete)"
    assert expected - found == set(), "answered 201 but not stored (or deleted)"
    assert objects - registry - maybe == set(), "registry objects no answer acknowledged"
    assert registry - objects == set(), "registry writes acknowledged but not in storage"
    assert LEDGER.unexplained_201s() == 0
    assert LEDGER.unexplained == []
    assert LEDGER.uploads > LEDGER.pushes, "no API upload succeeded: the pool never got through"
    assert LEDGER.pushes > 0, "no registry push succeeded: the pool never got through"
