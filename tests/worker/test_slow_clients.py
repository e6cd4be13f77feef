"""Slow and stalled clients against the bare server (real gunicorn, app.worker.BufferingWorker).

Readers never wait on uploaders: a request reaches a thread only once it has fully arrived,
``--read-timeout`` bounds a whole request (408, nothing stored) and ``--write-timeout`` a
whole response.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress

import pytest
import requests
import yaml

from app.options import Config
from app.worker.replies import TIMEOUT_MESSAGE as TIMEOUT
from tests.deploy.support import big_chart
from tests.helpers import Server
from tests.helpers import make_chart
from tests.worker.raw import Reader
from tests.worker.raw import address
from tests.worker.raw import connect
from tests.worker.raw import get
from tests.worker.raw import stored
from tests.worker.raw import upload_head

pytestmark = pytest.mark.e2e

LAYOUTS = {"default": [], "2x4": ["--workers=2", "--threads=4"]}


def request_threads(args: list[str]) -> int:
    """Request threads in total of a server started with ``args``."""
    options = dict(arg.lstrip("-").split("=", 1) for arg in args)
    workers = int(options.get("workers", Config().workers))
    return workers * int(options.get("threads", Config().threads))


def local(storage: str, *args: str) -> list[str]:
    return ["--storage=local", f"--storage-local-rootdir={storage}", *args]


def entries(server: Server) -> dict[str, object]:
    return yaml.safe_load(server.get("/index.yaml").content)["entries"] or {}


def assert_responsive(server: Server, verify: object = True) -> None:
    for path in ("/index.yaml", "/health", "/index.yaml", "/health"):
        response = requests.get(server.url + path, timeout=3, verify=verify)  # type: ignore[arg-type]
        assert response.status_code == 200


@contextmanager
def uploaders(
    server: Server, count: int, tls: ssl.SSLContext | None = None
) -> Iterator[list[socket.socket]]:
    """``count`` uploads that announce 100 kB and send 3 bytes; every other one then trickles
    a byte every 0.2 s, the others stall."""
    socks = []
    for _ in range(count):
        sock = connect(server, tls)
        sock.sendall(upload_head(100_000) + b"abc")
        socks.append(sock)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.2):
            for sock in socks[::2]:
                with suppress(OSError):
                    sock.send(b"x")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join()
        for sock in socks:
            sock.close()


@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_readers_are_served_while_uploads_trickle_or_stall(
    run_server, storage, layout, factor
) -> None:
    args = LAYOUTS[layout]
    server = run_server(*local(storage, "--read-timeout=20", *args))
    with uploaders(server, factor * request_threads(args)):
        time.sleep(0.5)
        assert_responsive(server)
    assert stored(storage) == [] and entries(server) == {}


def test_unfinished_uploads_get_408_after_the_read_timeout(run_server, storage) -> None:
    server = run_server(*local(storage, "--read-timeout=2", "--workers=1", "--threads=2"))
    with uploaders(server, 4) as socks:
        started = time.monotonic()
        replies = [Reader(sock).reply(timeout=8) for sock in socks]
    assert time.monotonic() - started < 6
    for reply in replies:
        assert reply is not None and reply.status == 408
        assert reply.headers["content-type"] == "application/json; charset=utf-8"
        assert reply.headers["connection"] == "close"
        assert isinstance(reply.json()["error"], str)  # type: ignore[index]
    assert stored(storage) == [] and entries(server) == {}


def test_a_408_echoes_the_request_id_and_is_logged_with_it(run_server, storage) -> None:
    server = run_server(*local(storage, "--read-timeout=1", "--workers=1", "--threads=2"))
    with connect(server) as sock, connect(server) as partial:
        sock.sendall(upload_head(100, extra="X-Request-Id: slow-upload-7\r\n") + b"abc")
        partial.sendall(b"POST /api/charts HTTP/1.1\r\nX-Request-Id: never-parsed\r\n")
        replies = [Reader(sock).reply(timeout=5), Reader(partial).reply(timeout=5)]
    assert [reply.status if reply else None for reply in replies] == [408, 408]
    echoed, fresh = (reply.headers["x-request-id"] for reply in replies if reply)
    assert echoed == "slow-upload-7" and fresh != "never-parsed" and len(fresh) == 36
    log = server.log()
    assert all(f'"statusCode": 408, "error": "{TIMEOUT}", "reqID": "{rid}"' in log
               for rid in (echoed, fresh))  # fmt: skip


def test_a_body_shorter_than_its_content_length_is_never_stored(run_server, storage) -> None:
    server = run_server(*local(storage, "--read-timeout=5", "--workers=1", "--threads=2"))
    chart = make_chart("cut", "1.0.0")
    with connect(server) as sock:  # the whole chart, 100 bytes fewer than announced
        sock.sendall(upload_head(len(chart) + 100) + chart)
        sock.shutdown(socket.SHUT_WR)
        reply = Reader(sock).reply(timeout=3)
    with connect(server) as sock:  # half of the chart, then gone
        sock.sendall(upload_head(len(chart)) + chart[: len(chart) // 2])
    time.sleep(0.5)
    assert reply is None
    assert stored(storage) == [] and entries(server) == {}


def test_a_client_that_stops_reading_is_cut_off_after_the_write_timeout(
    run_server, storage
) -> None:
    server = run_server(*local(storage, "--write-timeout=2", "--workers=1", "--threads=2"))
    chart = big_chart("large", "1.0.0", 12 * 1024 * 1024)
    assert server.post("/api/charts", data=chart).status_code == 201
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(address(server))
    with sock:
        sock.sendall(get("/charts/large-1.0.0.tgz"))
        time.sleep(3)
        assert_responsive(server)
        time.sleep(1)
        received = 0
        sock.settimeout(5)
        try:
            while data := sock.recv(1 << 20):
                received += len(data)
        except TimeoutError:
            pytest.fail("the connection stayed open past the write timeout")
        except ConnectionError:
            pass
    assert received < len(chart)


def test_idle_and_silent_connections_hold_no_thread(run_server, storage) -> None:
    server = run_server(*local(storage, "--workers=1", "--threads=2"))
    silent = [connect(server) for _ in range(8)]
    kept_alive = []
    for _ in range(4):
        sock = connect(server)
        sock.sendall(get("/health"))
        assert Reader(sock).reply(timeout=3).status == 200  # type: ignore[union-attr]
        kept_alive.append(sock)
    try:
        time.sleep(0.3)
        assert_responsive(server)
    finally:
        for sock in silent + kept_alive:
            sock.close()


def test_slow_tls_clients_do_not_block_readers_and_time_out(
    run_server, storage, certificate
) -> None:
    cert, key = certificate
    server = run_server(
        *local(storage, f"--tls-cert={cert}", f"--tls-key={key}", "--read-timeout=3"),
        "--workers=1",
        "--threads=2",
        scheme="https",
    )
    tls = ssl.create_default_context(cafile=cert)
    no_handshake = [connect(server) for _ in range(2)]
    with uploaders(server, 4, tls) as socks:
        assert_responsive(server, verify=cert)
        replies = [Reader(sock).reply(timeout=6) for sock in socks]
    for sock in no_handshake:
        sock.close()
    assert all(reply is not None and reply.status == 408 for reply in replies)
    chart = make_chart("secure", "1.0.0")
    saved = requests.post(server.url + "/api/charts", data=chart, verify=cert, timeout=5)
    assert saved.status_code == 201 and stored(storage) == ["secure-1.0.0.tgz"]


def test_spooled_uploads_leave_no_temporary_files(run_server, storage, tmp_path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    server = run_server(*local(storage), env={"TMPDIR": str(spool)})
    chart = big_chart("spilled", "1.0.0", 3 * 1024 * 1024)
    assert server.post("/api/charts", data=chart).status_code == 201
    with connect(server) as sock:
        sock.sendall(upload_head(len(chart)) + chart[: 2 * 1024 * 1024])
        time.sleep(0.5)
        assert os.listdir(spool) == []  # unlinked when created
    assert stored(storage) == ["spilled-1.0.0.tgz"]
