"""Raw HTTP/1.1 over a socket, for clients that misbehave on purpose."""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.helpers import Server


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(server: Server, tls: ssl.SSLContext | None = None) -> socket.socket:
    sock = socket.create_connection(address(server), timeout=10)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


def upload_head(length: int, path: str = "/api/charts", extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: charts\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: charts\r\n{extra}\r\n".encode()


def chunked(data: bytes, size: int = 100) -> bytes:
    pieces = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size])
        for i in range(0, len(data), size)
    ]
    return b"".join(pieces) + b"0\r\n\r\n"


class Reader:
    """Reads responses one after the other from a socket (keep-alive, pipelining)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _more(self, deadline: float) -> bool:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, ConnectionError):
            return False
        self.buf += data
        return bool(data)

    def reply(self, timeout: float = 10) -> Reply | None:
        """The next response, None when the connection closes (or times out) before it."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._more(deadline):
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        if status == 100:
            return Reply(status, headers, b"")
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._more(deadline):
                return None
        body, self.buf = self.buf[:length], self.buf[length:]
        return Reply(status, headers, body)

    def closed(self, timeout: float) -> bool:
        """Whether the server closes the connection within ``timeout`` (data is discarded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except TimeoutError:
                return False
            except ConnectionError:
                return True
        return False


def exchange(server: Server, payload: bytes, timeout: float = 10) -> Reply | None:
    with connect(server) as sock:
        sock.sendall(payload)
        return Reader(sock).reply(timeout)


def stored(storage: str) -> list[str]:
    """Chart files in a local storage folder."""
    return sorted(n for n in os.listdir(storage) if n.endswith((".tgz", ".prov")))
