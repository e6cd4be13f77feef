"""A response write bounded by ``--write-timeout``."""

from __future__ import annotations

import math
import socket
import time
from typing import Any


class DeadlineSocket:
    """A socket whose sends share one deadline, counted from the first byte sent.

    gunicorn writes a response with ``sendall`` (and ``sendfile``); each call waits at most
    until the deadline, so a client that stops reading frees the thread by then.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._seconds = seconds
        self._deadline: float | None = None

    def sendall(self, data: bytes) -> None:
        """``socket.sendall`` within the deadline. :raises TimeoutError: past it."""
        self._arm()
        self._sock.sendall(data)

    def send(self, data: bytes) -> int:
        """``socket.send`` within the deadline. :raises TimeoutError: past it."""
        self._arm()
        return self._sock.send(data)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """``socket.sendfile`` in steps, each within the deadline."""
        sent = 0
        while count is None or sent < count:
            step = 1 << 20 if count is None else min(1 << 20, count - sent)
            self._arm()
            done = self._sock.sendfile(file, offset + sent, step)
            sent += done
            if done < step:
                break
        return sent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _arm(self) -> None:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        left = self._deadline - now
        if left <= 0:
            raise TimeoutError("response write timed out")
        self._sock.settimeout(None if math.isinf(left) else left)
