"""Requests answered on the worker's main loop, as nginx answers them: no thread hand-over,
and the response written without blocking, a file by ``sendfile(2)`` as the socket takes it.

An application opts in with an attribute ``inline_paths``: a predicate on the request path
that picks the requests worth trying this way (a chart repository's ``index.yaml`` and
packages). Such a request, when it is a ``GET`` or ``HEAD`` without a body on a plain TCP
connection, is run by the main thread with ``environ[INLINE]`` set. The application must
then answer without waiting on anything (a lock, the network, a computation of more than a
moment); where it would have to, it raises :class:`Deferred` before starting its response,
and the request goes to a thread as any other.

What gunicorn writes is queued in an :class:`Outbox` and sent by the main loop as the socket
accepts it, within ``--write-timeout``.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

INLINE = "chartmuseum.inline"
"""The WSGI environ key that is True for a request run on the worker's main loop."""

INLINE_METHODS = frozenset({"GET", "HEAD"})


class Deferred(BaseException):
    """Raised by the application, before its response starts, for a request it cannot answer
    without waiting: the worker hands the request to a thread instead.

    A ``BaseException``, so that no framework error handler turns it into a response.
    """


def inline_paths(wsgi: Any) -> Callable[[str], bool] | None:
    """The application's predicate of the paths to try on the main loop, or None."""
    predicate = getattr(wsgi, "inline_paths", None)
    return predicate if callable(predicate) else None


def marking_inline(wsgi: Any) -> Any:
    """``wsgi`` with ``environ[INLINE]`` set to whether the calling thread is the one that
    created this wrapper (the worker's main loop)."""
    main = threading.get_ident()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ[INLINE] = threading.get_ident() == main
        return wsgi(environ, start_response)

    return app


@dataclass
class _FilePart:
    fd: int
    offset: int
    left: int


class Outbox:
    """Stands in for the socket while gunicorn writes a response on the main loop: bytes
    and files are queued, then :meth:`pump` sends them without blocking."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._parts: deque[bytes | _FilePart] = deque()

    def sendall(self, data: bytes) -> None:
        """Queue ``data``."""
        if data:
            self._parts.append(bytes(data))

    def send(self, data: bytes) -> int:
        """Queue ``data`` (all of it)."""
        self.sendall(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: :meth:`pump` sends."""

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Queue ``count`` bytes of ``file`` from ``offset`` (to its end when None): the file
        is duplicated, as gunicorn closes its own once the response is written."""
        fd = os.dup(file.fileno())
        try:
            if count is None:
                count = os.fstat(fd).st_size - offset
        except OSError:
            os.close(fd)
            raise
        self._parts.append(_FilePart(fd, offset, count))
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def pump(self) -> bool:
        """Send what the socket takes now; True once everything is sent.

        :raises OSError: when the connection fails, or a file ends before its announced
            length (the response would be short: the connection must close).
        """
        try:
            while self._parts:
                part = self._parts[0]
                if isinstance(part, _FilePart):
                    self._send_file(part)
                else:
                    self._send_bytes()
        except BlockingIOError:
            return False
        return True

    def _send_bytes(self) -> None:
        chunks: list[bytes] = []
        while self._parts and isinstance(self._parts[0], bytes):
            chunks.append(self._parts.popleft())  # type: ignore[arg-type]
        more = socket.MSG_MORE if self._parts else 0  # a file follows: share its packets
        view = memoryview(b"".join(chunks))
        try:
            while view:
                view = view[self._sock.send(view, more) :]
        finally:
            if view:
                self._parts.appendleft(bytes(view))

    def _send_file(self, part: _FilePart) -> None:
        target = self._sock.fileno()
        while part.left:
            sent = os.sendfile(target, part.fd, part.offset, part.left)
            if sent == 0:
                raise OSError(errno.EIO, "file shorter than the response announced")
            part.offset += sent
            part.left -= sent
        os.close(part.fd)
        self._parts.popleft()

    def close(self) -> None:
        """Close the queued files (a response abandoned, or done)."""
        while self._parts:
            part = self._parts.popleft()
            if isinstance(part, _FilePart):
                os.close(part.fd)
