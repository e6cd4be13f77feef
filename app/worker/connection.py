"""A client connection as the worker's main thread sees it: non-blocking reads, a TLS
handshake done without blocking, and the request being received on it."""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
from typing import Any

from app.worker.inline import Outbox
from app.worker.intake import Intake

RECV_SIZE = 64 * 1024


class Connection:
    """A client connection and the request being received on it."""

    def __init__(self, sock: socket.socket, client: Any, server: Any, tls: Any) -> None:
        sock.setblocking(False)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        self.sock = sock
        self.client = client
        self.server = server
        self.handshaking = tls is not None
        self.intake: Intake
        self.carry = b""
        """Bytes received past the current request: the start of the next one."""
        self.requests = 0
        self.idle = False
        """Waiting between two requests (keep-alive) rather than inside one."""
        self.peer_closed = False
        self.lingering = False
        self.drained = 0
        self.deadline: float | None = None
        self.timer: int | None = None
        """Identifies the current deadline among the worker's timers."""
        self.events = 0
        """Selector events the connection is registered for (0: not registered)."""
        self.outbox: Outbox | None = None
        """The response the main loop is sending (see :mod:`app.worker.inline`)."""
        self.keep = False
        """Whether the connection may serve another request once that response is sent."""

    def handshake(self) -> int | None:
        """Advance the TLS handshake; the events it waits for, None once it is done."""
        try:
            self.sock.do_handshake()  # type: ignore[attr-defined]
        except ssl.SSLWantReadError:
            return selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        self.handshaking = False
        return None

    def recv(self) -> bytes | None:
        """What has arrived (``b""`` at the end of the stream), None when nothing has."""
        try:
            return self.sock.recv(RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None
        except (ConnectionError, ssl.SSLEOFError):
            return b""

    def pending(self) -> bool:
        """Whether TLS holds decrypted bytes that the selector cannot see."""
        return isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def send_now(self, data: bytes) -> None:
        """Send what the socket takes without waiting (a short reply; the rest is dropped)."""
        with contextlib.suppress(OSError, ValueError):
            self.sock.send(data)

    def close(self) -> None:
        """Close the socket (again is fine)."""
        with contextlib.suppress(OSError):
            self.sock.close()
