"""Files leave through ``sendfile(2)``: gunicorn takes that path with the worker's socket
wrapper (:class:`app.worker.sockets.DeadlineSocket`), and the real server sends index.yaml
and packages that way, byte for byte with their Content-Length."""

from __future__ import annotations

import errno
import gzip
import os
import socket
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config as GunicornConfig
from gunicorn.http.wsgi import FileWrapper
from gunicorn.http.wsgi import Response as GunicornResponse

import app as app_package
from app.index.chart_index import WRITE_ON_REQUEST
from app.worker import sockets
from app.worker.sockets import FILE_BLOCK
from app.worker.sockets import BlockFileWrapper
from app.worker.sockets import DeadlineSocket
from app.worker.sockets import with_file_wrapper
from tests.deploy.support import big_chart
from tests.helpers import Server
from tests.helpers import start_server
from tests.worker.raw import Reader
from tests.worker.raw import exchange
from tests.worker.raw import get

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(app_package.__file__)))
MiB = 1024 * 1024


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair: the server's non-blocking end (as the worker leaves it), the client's."""
    server, client = socket.socketpair()
    server.setblocking(False)
    yield server, client
    server.close()
    client.close()


@pytest.fixture
def sendfile_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes sent by each ``os.sendfile`` call."""
    calls: list[int] = []
    real = os.sendfile

    def spy(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        sent = real(out_fd, in_fd, offset, count)
        calls.append(sent)
        return sent

    monkeypatch.setattr(os, "sendfile", spy)
    return calls


def receive(sock: socket.socket, size: int, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while len(data) < size and (chunk := sock.recv(size - len(data))):
        data += chunk
    return data


def nothing_waiting(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_gunicorn_sends_a_file_wrapper_with_sendfile(pair, sendfile_calls, tmp_path) -> None:
    server, client = pair
    payload = os.urandom(3 * MiB + 17)
    path = tmp_path / "package.tgz"
    path.write_bytes(payload)
    with ThreadPoolExecutor(1) as pool:
        receiving = pool.submit(Reader(client).reply)
        sock = DeadlineSocket(server, 10)
        request = SimpleNamespace(method="GET", version=(1, 1), should_close=lambda: False)
        response = GunicornResponse(request, sock, GunicornConfig())
        response.start_response("200 OK", [("Content-Length", str(len(payload)))])
        with open(path, "rb") as fh:
            response.write_file(FileWrapper(fh))
        response.close()
        sock.flush()
        reply = receiving.result()
    assert reply is not None and reply.status == 200 and reply.body == payload
    assert reply.headers["content-length"] == str(len(payload))
    assert sum(sendfile_calls) == len(payload)
    assert server.gettimeout() == 0.0  # still non-blocking for the worker's main loop


def test_a_full_send_buffer_waits_in_the_kernel_instead_of_spinning(
    pair, tmp_path, monkeypatch
) -> None:
    """A client that drains the send buffer as fast as it fills: each non-blocking
    ``sendfile`` sends a little (here 64 KiB, as the kernel does once the buffer is full).
    After the first such partial call the rest must leave in one blocking call, not in a
    loop of small non-blocking ones that keeps the thread busy."""
    server, client = pair
    payload = os.urandom(16 * MiB)
    path = tmp_path / "big.tgz"
    path.write_bytes(payload)
    calls: list[tuple[bool, int]] = []
    real = os.sendfile

    def draining(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        blocking = os.get_blocking(out_fd)
        sent = real(out_fd, in_fd, offset, count if blocking else min(count, 64 * 1024))
        calls.append((blocking, sent))
        return sent

    monkeypatch.setattr(os, "sendfile", draining)
    with ThreadPoolExecutor(1) as pool:
        receiving = pool.submit(receive, client, len(payload))
        sock = DeadlineSocket(server, 30)
        with open(path, "rb") as fh:
            assert sock.sendfile(fh) == len(payload)
        assert receiving.result() == payload
    assert [blocking for blocking, _ in calls] == [False, True], calls[:5]
    assert server.gettimeout() == 0.0  # non-blocking again for the worker's main loop


def test_a_response_head_leaves_with_the_body(pair) -> None:
    server, client = pair
    sock = DeadlineSocket(server, 10)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    assert nothing_waiting(client)
    sock.sendall(b"ok")
    sock.flush()
    assert receive(client, 40) == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_a_held_head_is_sent_by_flush(pair) -> None:
    server, client = pair
    sock = DeadlineSocket(server, 10)
    sock.sendall(b"HTTP/1.1 304 Not Modified\r\n\r\n")
    sock.flush()
    assert receive(client, 29) == b"HTTP/1.1 304 Not Modified\r\n\r\n"


def test_a_client_that_stops_reading_times_out(pair, tmp_path) -> None:
    server, _client = pair
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    path = tmp_path / "big"
    path.write_bytes(os.urandom(8 * MiB))
    sock = DeadlineSocket(server, 0.5)
    started = time.monotonic()
    with open(path, "rb") as fh, pytest.raises(TimeoutError):
        sock.sendfile(fh, 0, 8 * MiB)
    assert time.monotonic() - started < 5
    with pytest.raises(TimeoutError):  # and every later write: the deadline is over
        sock.sendall(b"x" * (sockets.HOLD_LIMIT + 1))


def test_files_sendfile_cannot_send_are_read_and_sent(pair, tmp_path, monkeypatch) -> None:
    server, client = pair

    def unsupported(*args: object) -> int:
        raise OSError(errno.EINVAL, "sendfile not supported here")

    monkeypatch.setattr(os, "sendfile", unsupported)
    payload = os.urandom(MiB + 3)
    path = tmp_path / "file"
    path.write_bytes(payload)
    with ThreadPoolExecutor(1) as pool:
        receiving = pool.submit(receive, client, len(payload))
        sock = DeadlineSocket(server, 10)
        with open(path, "rb") as fh:
            assert sock.sendfile(fh, 0, len(payload)) == len(payload)
        assert receiving.result() == payload


def test_a_file_shorter_than_announced_fails_the_response(pair, tmp_path) -> None:
    server, _client = pair
    path = tmp_path / "short"
    path.write_bytes(b"12345")
    sock = DeadlineSocket(server, 10)
    with open(path, "rb") as fh, pytest.raises(OSError, match="shorter"):
        sock.sendfile(fh, 0, 10)


# -- the real server ----------------------------------------------------------------------------
SPY_CONF = """
import os

exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())


def post_fork(server, worker):
    real = os.sendfile

    def counting(out_fd, in_fd, offset, count):
        sent = real(out_fd, in_fd, offset, count)
        with open({log!r}, "a") as fh:
            fh.write(f"{{sent}}\\n")
        return sent

    os.sendfile = counting
"""


@pytest.fixture
def spied_server(tmp_path, storage) -> Iterator[tuple[Server, Callable[[], int]]]:
    """The image's entry point, each worker counting the bytes it sends with sendfile."""
    log = tmp_path / "sendfile.log"
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(SPY_CONF.format(root=ROOT, log=str(log)))
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    env = {"STORAGE": "local", "STORAGE_LOCAL_ROOTDIR": storage, "WORKERS": "1", "THREADS": "2"}
    command = [gunicorn, "--config", str(conf), "--chdir", ROOT, "wsgi:application"]
    server = start_server([], str(tmp_path / "server.log"), env=env, command=command)

    def sent() -> int:
        return sum(int(n) for n in log.read_text().split()) if log.exists() else 0

    yield server, sent
    server.stop()


@pytest.mark.e2e
def test_the_server_sends_index_and_packages_with_sendfile(spied_server) -> None:
    server, sent = spied_server
    chart = big_chart("large", "1.0.0", 2 * MiB)
    assert server.post("/api/charts", data=chart).status_code == 201
    before = sent()
    package = requests.get(server.url + "/charts/large-1.0.0.tgz", timeout=30)
    assert package.status_code == 200 and package.content == chart
    assert package.headers["Content-Length"] == str(len(chart))
    for _ in range(WRITE_ON_REQUEST - 1):  # the first requests of a version: from memory
        exchange(server, get("/index.yaml"))
        exchange(server, get("/index.yaml", "Accept-Encoding: gzip\r\n"))
    plain = exchange(server, get("/index.yaml"))
    zipped = exchange(server, get("/index.yaml", "Accept-Encoding: gzip\r\n"))
    assert plain is not None and zipped is not None
    assert plain.status == 200 and b"large:" in plain.body
    assert plain.headers["content-length"] == str(len(plain.body))
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    expected = len(chart) + len(plain.body) + len(zipped.body)
    deadline = time.monotonic() + 10  # a worker logs its sendfile just after the client has it
    while sent() - before < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent() - before >= expected


def test_without_sendfile_files_are_read_in_large_blocks(tmp_path) -> None:
    path = tmp_path / "file"
    path.write_bytes(os.urandom(FILE_BLOCK * 2 + 5))
    seen: dict[str, object] = {}

    def application(environ: dict[str, object], start_response: object) -> list[bytes]:
        seen["wrapper"] = environ["wsgi.file_wrapper"]
        return []

    with_file_wrapper(application, BlockFileWrapper)({}, None)
    assert seen["wrapper"] is BlockFileWrapper
    with open(path, "rb") as fh:
        blocks = [len(block) for block in BlockFileWrapper(fh, 8192)]
    assert blocks == [FILE_BLOCK, FILE_BLOCK, 5]


@pytest.mark.e2e
def test_over_tls_index_and_packages_are_sent_whole(run_server, storage, certificate) -> None:
    cert, key = certificate
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={storage}",
        f"--tls-cert={cert}",
        f"--tls-key={key}",
        "--workers=1",
        "--threads=2",
        scheme="https",
    )
    chart = big_chart("secure", "1.0.0", 2 * MiB)
    saved = requests.post(server.url + "/api/charts", data=chart, verify=cert, timeout=30)
    assert saved.status_code == 201
    package = requests.get(server.url + "/charts/secure-1.0.0.tgz", verify=cert, timeout=30)
    assert package.status_code == 200 and package.content == chart
    assert package.headers["Content-Length"] == str(len(chart))
    index = requests.get(server.url + "/index.yaml", verify=cert, timeout=30)
    assert index.status_code == 200 and index.headers["Content-Encoding"] == "gzip"
    assert b"secure:" in index.content
