"""HTTP/1.1 framing through the buffering worker: gunicorn's own errors as JSON, chunked and
Content-Length uploads, keep-alive, pipelining, ``Expect: 100-continue`` and early 413s."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
import schemathesis
import yaml
from urllib3 import encode_multipart_formdata
from werkzeug.test import EnvironBuilder
from werkzeug.test import TestResponse

from app.openapi.routes import SPEC_PATH
from tests.helpers import Server
from tests.helpers import make_chart
from tests.helpers import start_server
from tests.unit.test_openapi import CONFORMANCE
from tests.worker.raw import Reader
from tests.worker.raw import chunked
from tests.worker.raw import connect
from tests.worker.raw import exchange
from tests.worker.raw import get
from tests.worker.raw import stored
from tests.worker.raw import upload_head

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("protocol")
    os.makedirs(path / "storage")
    return str(path)


@pytest.fixture(scope="module")
def server(folder: str) -> Iterator[Server]:
    args = ["--storage=local", f"--storage-local-rootdir={folder}/storage"]
    running = start_server(
        [*args, "--max-upload-size=100000", "--workers=1", "--threads=2"],
        os.path.join(folder, "server.log"),
    )
    yield running
    running.stop()


def chunked_upload(body: bytes, content_type: str = "application/octet-stream") -> bytes:
    head = (
        "POST /api/charts HTTP/1.1\r\nHost: charts\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + chunked(body)


CHUNKED_HEAD = b"POST /api/charts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

ERRORS = {
    "negative content-length": (upload_head(-1), 400),
    "conflicting content-lengths": (
        b"POST /api/charts HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        400,
    ),
    "content-length and chunked": (
        b"POST /api/charts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    "request line too long": (get("/" + "a" * 9000), 414),
    "invalid request line": (b"NOT HTTP AT ALL\r\n\r\n", 400),
    "malformed header": (b"GET /health HTTP/1.1\r\nHost charts\r\n\r\n", 400),
    "header too large": (get("/health", "X-Big: " + "b" * 9000 + "\r\n"), 431),
    "too many headers": (get("/health", "".join(f"X-{i}: v\r\n" for i in range(120))), 431),
    "unsupported transfer coding": (
        b"POST /api/charts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n",
        501,
    ),
    "invalid chunk size": (CHUNKED_HEAD + b"zz\r\nabc\r\n0\r\n\r\n", 400),
    "missing chunk terminator": (CHUNKED_HEAD + b"3\r\nabcX\r\n0\r\n\r\n", 400),
    "invalid chunk extension": (CHUNKED_HEAD + b'3;a="\r\nabc\r\n0\r\n\r\n', 400),
    "invalid trailer": (CHUNKED_HEAD + b"3\r\nabc\r\n0\r\nno colon\r\n\r\n", 400),
}


@pytest.mark.parametrize("case", ERRORS)
def test_gunicorn_errors_answer_json(server, folder, case) -> None:
    payload, status = ERRORS[case]
    reply = exchange(server, payload, timeout=5)
    assert reply is not None and reply.status == status
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.headers["connection"] == "close"
    message = reply.json()["error"]  # type: ignore[index]
    assert isinstance(message, str) and message
    assert folder not in message and os.getcwd() not in message and ".py" not in message
    logged = worker_answers(server)
    assert logged[reply.headers["x-request-id"]]["statusCode"] == status


@pytest.mark.parametrize("path, method", [("/health", "GET"), ("/api/charts", "POST")])
def test_worker_answers_are_described_for_every_operation(server, path, method) -> None:
    served = requests.get(server.url + SPEC_PATH, timeout=10).json()
    operation = schemathesis.openapi.from_dict(served, config=CONFORMANCE)[path][method]
    for payload, _ in ERRORS.values():
        reply = exchange(server, payload, timeout=5)
        assert reply is not None
        request = EnvironBuilder(path=path, method=method).get_request()
        answer = TestResponse([reply.body], reply.status, list(reply.headers.items()), request)
        operation.Case().validate_response(answer)


def worker_answers(server: Server) -> dict[str, dict[str, object]]:
    """The worker's logged answers by request id."""
    found = {}
    for line in server.log().splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[2] == "Request answered by the worker":
            fields = json.loads(parts[3])
            found[fields["reqID"]] = fields
    return found


def test_worker_answers_echo_the_request_id_of_a_parsed_head(server) -> None:
    sent = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nX-Request-Id: bad-chunks-1\r\n\r\n")
    reply = exchange(server, sent + b"zz\r\nabc\r\n0\r\n\r\n", timeout=5)
    assert reply is not None and reply.status == 400
    assert reply.headers["x-request-id"] == "bad-chunks-1"
    too_long = exchange(server, get("/" + "a" * 9000, "X-Request-Id: long-1\r\n"), timeout=5)
    assert too_long is not None and too_long.status == 414  # the head was never parsed
    assert uuid.UUID(too_long.headers["x-request-id"]).version == 4
    logged = worker_answers(server)
    assert logged["bad-chunks-1"]["method"] == "POST"
    assert logged["bad-chunks-1"]["path"] == "/api/charts"
    assert logged[too_long.headers["x-request-id"]]["statusCode"] == 414


def test_uploads_raw_multipart_and_chunked_multipart_arriving_slowly(server, folder) -> None:
    raw = make_chart("raw", "1.0.0")
    form, form_type = encode_multipart_formdata(
        {"chart": ("multi.tgz", make_chart("multi", "1.0.0"))}
    )
    chunked_form, chunked_type = encode_multipart_formdata(
        {"chart": ("chunky.tgz", make_chart("chunky", "1.0.0"))}
    )
    uploads = [
        upload_head(len(raw)) + raw,
        upload_head(len(form)).replace(b"application/octet-stream", form_type.encode()) + form,
        chunked_upload(chunked_form, chunked_type),
    ]
    for payload in uploads:
        with connect(server) as sock:
            for start in range(0, len(payload), 97):  # in small pieces, as a slow link does
                sock.sendall(payload[start : start + 97])
                time.sleep(0.002)
            reply = Reader(sock).reply()
        assert reply is not None and (reply.status, reply.json()) == (201, {"saved": True})
    for name in ("raw", "multi", "chunky"):
        assert f"{name}-1.0.0.tgz" in stored(f"{folder}/storage")


def test_keep_alive_serves_several_requests_on_one_connection(server) -> None:
    chart = make_chart("kept", "1.0.0")
    with connect(server) as sock:
        reader = Reader(sock)
        for payload, status in (
            (get("/health"), 200),
            (upload_head(len(chart)) + chart, 201),
            (get("/api/charts/kept"), 200),
            (chunked_upload(make_chart("kept", "1.0.1")), 201),
            (get("/index.yaml"), 200),
        ):
            sock.sendall(payload)
            reply = reader.reply()
            assert reply is not None and reply.status == status
            assert reply.headers["connection"] == "keep-alive"
    versions = yaml.safe_load(reply.body)["entries"]["kept"]
    assert sorted(v["version"] for v in versions) == ["1.0.0", "1.0.1"]


def test_pipelined_requests_are_answered_in_order(server) -> None:
    first, second = make_chart("piped", "1.0.0"), make_chart("piped", "2.0.0")
    payload = b"".join(
        [
            get("/health"),
            upload_head(len(first)) + first,
            chunked_upload(second),
            get("/api/charts/piped/2.0.0"),
            get("/api/charts/piped", "Connection: close\r\n"),
        ]
    )
    with connect(server) as sock:
        sock.sendall(payload)
        reader = Reader(sock)
        replies = [reader.reply() for _ in range(5)]
        assert reader.closed(timeout=5)
    assert [reply.status for reply in replies] == [200, 201, 201, 200, 200]  # type: ignore[union-attr]
    assert [v["version"] for v in replies[4].json()] == ["2.0.0", "1.0.0"]  # type: ignore[union-attr]


def test_expect_100_continue_is_answered_before_the_body(server) -> None:
    chart = make_chart("expected", "1.0.0")
    with connect(server) as sock:
        sock.sendall(upload_head(len(chart), extra="Expect: 100-continue\r\n"))
        reader = Reader(sock)
        interim = reader.reply(timeout=3)
        assert interim is not None and interim.status == 100
        sock.sendall(chart)
        reply = reader.reply()
    assert reply is not None and reply.status == 201


def test_a_body_announced_over_the_limit_is_refused_without_waiting_for_it(server) -> None:
    with connect(server) as sock:
        sock.sendall(upload_head(200_000, extra="Expect: 100-continue\r\n"))
        reply = Reader(sock).reply(timeout=3)
    assert reply is not None and (reply.status, reply.body) == (413, b"request too large")
    assert reply.headers["x-request-id"]  # answered by the application


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(server) -> None:
    with connect(server) as sock:
        sock.sendall(CHUNKED_HEAD)
        for _ in range(30):  # 120 kB of a body that never ends
            sock.sendall(b"1000\r\n" + b"\0" * 4096 + b"\r\n")
        reply = Reader(sock).reply(timeout=3)
    assert reply is not None and (reply.status, reply.body) == (413, b"request too large")
