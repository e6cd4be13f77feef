"""The request intake without sockets: framing found with gunicorn's parser, spooling."""

from __future__ import annotations

import os

import pytest
from gunicorn.config import Config as GunicornConfig
from gunicorn.http.errors import InvalidChunkSize
from gunicorn.http.errors import InvalidHeader
from gunicorn.http.errors import LimitRequestHeaders
from werkzeug.exceptions import RequestEntityTooLarge

from app.worker.chunked import ChunkedFraming
from app.worker.chunked import FramingError
from app.worker.intake import Intake
from app.worker.spool import MemoryBudget
from app.worker.spool import Spool
from tests.worker.raw import chunked
from tests.worker.raw import get
from tests.worker.raw import upload_head


def intake(max_body: int = 1000, threshold: int = 1 << 20, folder: str | None = None) -> Intake:
    spool = Spool(threshold, MemoryBudget(1 << 20), folder)
    return Intake(GunicornConfig(), ("127.0.0.1", 1), 1, spool, max_body)


def feed_bytewise(target: Intake, data: bytes) -> bytes:
    rest = b""
    for i in range(len(data)):
        rest += target.feed(data[i : i + 1])
    return rest


def test_a_content_length_request_arriving_byte_by_byte() -> None:
    request = upload_head(5) + b"hello"
    target = intake()
    assert feed_bytewise(target, request[:-1]) == b"" and not target.ready
    target.feed(request[-1:])
    assert target.complete and target.parse().body.read() == b"hello"


def test_pipelined_bytes_are_handed_back() -> None:
    target = intake()
    rest = target.feed(get("/a") + upload_head(2) + b"hi" + get("/c"))
    assert target.complete and target.parse().path == "/a"
    assert rest == upload_head(2) + b"hi" + get("/c")
    second = intake()
    assert second.feed(rest) == get("/c") and second.parse().body.read() == b"hi"


def test_a_chunked_body_ends_where_gunicorn_says() -> None:
    body = os.urandom(3000)
    request = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 7)
    target = intake(max_body=10_000)
    assert feed_bytewise(target, request + get("/next")) == get("/next")
    assert target.complete and target.parse().body.read() == body


def test_chunked_framing_follows_sizes_extensions_and_trailers() -> None:
    framing = ChunkedFraming(100, 100)
    data = b"3;name=value\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT"
    assert framing.feed(data) == len(data) - 4 and framing.decoded == 3
    with pytest.raises(FramingError):
        ChunkedFraming(100, 100).feed(b"zz\r\n")
    with pytest.raises(FramingError):
        ChunkedFraming(100, 100).feed(b"3\r\nabcX\r\n")
    with pytest.raises(FramingError):
        ChunkedFraming(8, 100).feed(b"0" * 20)


def test_a_malformed_chunked_body_is_reported_by_gunicorn() -> None:
    target = intake()
    target.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert target.ready
    with pytest.raises(InvalidChunkSize):
        target.parse()


def test_a_bad_head_is_ready_with_gunicorns_error() -> None:
    target = intake()
    target.feed(upload_head(-1))
    assert target.ready and isinstance(target.error, InvalidHeader)
    with pytest.raises(InvalidHeader):
        target.parse()


def test_a_head_that_never_ends_is_refused_at_gunicorns_limit() -> None:
    target = intake()
    target.feed(b"GET / HTTP/1.1\r\n")
    while not target.ready:
        target.feed(b"X-Long: " + b"v" * 8000)
    assert isinstance(target.error, LimitRequestHeaders)
    assert target.spool.size < 1_000_000


def test_oversized_bodies_go_to_the_app_unbuffered() -> None:
    announced = intake(max_body=10)
    announced.feed(upload_head(11, extra="Expect: 100-continue\r\n") + b"abc")
    assert announced.oversized and not announced.continue_due
    with pytest.raises(RequestEntityTooLarge):
        announced.parse().body.read()
    streamed = intake(max_body=10)
    streamed.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert not streamed.ready
    streamed.feed(b"b\r\n" + b"x" * 11 + b"\r\n")
    assert streamed.oversized


def test_expect_continue_is_due_while_the_body_is_missing() -> None:
    target = intake()
    target.feed(upload_head(3, extra="Expect: 100-continue\r\n"))
    assert target.continue_due and target.started and not target.ready
    target.feed(b"abc")
    assert target.complete and target.parse()._expected_100_continue is False


def test_the_spool_moves_to_an_unlinked_file_past_its_threshold(tmp_path) -> None:
    target = intake(max_body=1 << 20, threshold=1000, folder=str(tmp_path))
    body = os.urandom(50_000)
    target.feed(upload_head(len(body)) + body)
    assert target.complete and target.spool.on_disk and os.listdir(tmp_path) == []
    assert target.parse().body.read() == body
    target.close()


def test_the_memory_budget_is_shared_and_given_back() -> None:
    budget = MemoryBudget(100)
    first, second = Spool(1000, budget), Spool(1000, budget)
    first.write(b"x" * 80)
    second.write(b"y" * 80)
    assert not first.on_disk and second.on_disk and budget.left == 20
    first.close()
    second.close()
    assert budget.left == 100
