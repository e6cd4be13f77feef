"""Requests answered on the worker's main loop (:mod:`app.worker.inline`): the response is
queued and sent without blocking as the socket takes it, so clients that read slowly, or not
at all, hold no thread."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from app.worker.inline import Outbox
from tests.deploy.support import big_chart
from tests.worker.raw import address
from tests.worker.raw import get

MiB = 1024 * 1024


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """The server's non-blocking end with a small send buffer, and the client's end."""
    server, client = socket.socketpair()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    server.setblocking(False)
    yield server, client
    server.close()
    client.close()


def _drain(sock: socket.socket, size: int) -> bytes:
    sock.settimeout(5)
    data = b""
    while len(data) < size and (chunk := sock.recv(size - len(data))):
        data += chunk
    return data


def test_an_outbox_sends_head_and_file_as_the_socket_takes_them(pair, tmp_path) -> None:
    server, client = pair
    payload = os.urandom(MiB)
    path = tmp_path / "payload"
    path.write_bytes(payload)
    outbox = Outbox(server)
    outbox.sendall(b"HEAD\r\n")
    with open(path, "rb") as fh:
        assert outbox.sendfile(fh, 0, len(payload)) == len(payload)
    # gunicorn closes its file once the response is written: the outbox holds its own
    assert outbox.pump() is False  # the send buffer is full; nothing waits
    received = b""
    rounds = 0
    while not outbox.pump():
        received += client.recv(256 * 1024)
        rounds += 1
    received += _drain(client, 6 + len(payload) - len(received))
    assert received == b"HEAD\r\n" + payload
    assert rounds > 1


def test_a_file_shorter_than_announced_fails_the_outbox(pair, tmp_path) -> None:
    server, _ = pair
    path = tmp_path / "short"
    path.write_bytes(b"x" * 100)
    outbox = Outbox(server)
    with open(path, "rb") as fh:
        outbox.sendfile(fh, 0, 200)
    with pytest.raises(OSError, match="shorter"):
        outbox.pump()
    outbox.close()


def test_an_abandoned_outbox_closes_its_files(pair, tmp_path) -> None:
    server, _ = pair
    path = tmp_path / "file"
    path.write_bytes(b"y" * 10)
    before = len(os.listdir("/proc/self/fd"))
    outbox = Outbox(server)
    with open(path, "rb") as fh:
        outbox.sendfile(fh)
    assert len(os.listdir("/proc/self/fd")) == before + 1
    outbox.close()
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.e2e
def test_stalled_downloads_hold_no_thread(run_server, storage) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        "--workers=1",
        "--threads=1",
        "--write-timeout=60",
    )
    chart = big_chart("large", "1.0.0", 12 * MiB)
    assert server.post("/api/charts", data=chart).status_code == 201
    stalled = []
    for _ in range(3):  # more stalled downloads than the worker has threads
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(address(server))
        sock.sendall(get("/charts/large-1.0.0.tgz"))
        stalled.append(sock)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        for path in ("/health", "/api/charts", "/index.yaml", "/charts/large-1.0.0.tgz"):
            response = requests.get(server.url + path, timeout=5)
            assert response.status_code == 200, path
        assert response.content == chart
        assert time.monotonic() - started < 5
    finally:
        for sock in stalled:
            sock.close()
