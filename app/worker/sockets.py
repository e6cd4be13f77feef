"""How responses are written: within ``--write-timeout``, in as few system calls as possible.

On a plain TCP connection a write goes straight to the kernel on the non-blocking socket the
worker's main loop left, so a response that fits the send buffer costs no ``fcntl`` or
``poll``; only when the buffer is full does the socket turn blocking for the rest of that
write, bounded by ``SO_SNDTIMEO``, so a large file leaves in one ``sendfile(2)`` call that
waits in the kernel (no wake-ups, no GIL hand-overs per chunk). The response head is held
back and leaves with the body in one ``sendmsg``, or ahead of a ``sendfile`` with
``MSG_MORE`` so that both share packets; a large file is sent corked (``TCP_CORK``, nginx's
``tcp_nopush``). TLS connections keep blocking writes with a socket timeout (an
``SSLSocket`` cannot ``sendfile`` anyway).
"""

from __future__ import annotations

import errno
import math
import os
import socket
import ssl
import struct
import time
from typing import Any

from gunicorn.http.wsgi import FileWrapper

HOLD_LIMIT = 16 * 1024
"""A first write up to this size (a response head) waits to leave with the next one."""

SENDFILE_STEP = 1 << 30
"""Bytes asked of one ``sendfile(2)`` call (Linux sends at most about 2 GiB per call)."""

CORK_MIN = 256 * 1024
"""Files from this size are sent with the socket corked (fewer, full segments: faster for a
single client on this kind of link; a small file leaves in one go anyway)."""

READ_BLOCK = 256 * 1024
"""Bytes read at once from a file that ``sendfile(2)`` cannot send."""

FILE_BLOCK = 256 * 1024
"""Bytes of a file written at once where gunicorn cannot use ``sendfile(2)`` (TLS)."""


class DeadlineSocket:
    """A socket whose sends share one deadline, counted from the first byte written.

    gunicorn writes a response with ``sendall`` (and ``sendfile``); each call waits at most
    until the deadline, so a client that stops reading frees the thread by then. Call
    :meth:`flush` once the response is complete: a held-back head is sent then at the latest.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._seconds = seconds
        self._deadline: float | None = None
        self._plain = not isinstance(sock, ssl.SSLSocket)
        self._held = b""
        self._blocking = False
        if self._plain and sock.gettimeout() != 0.0:
            sock.setblocking(False)

    def sendall(self, data: bytes) -> None:
        """Send all of ``data`` within the deadline. :raises TimeoutError: past it."""
        if not self._plain:
            self._arm()
            self._sock.sendall(data)
            return
        if self._deadline is None and len(data) <= HOLD_LIMIT:  # the response's first write
            self._check()
            self._held = bytes(data)
            return
        self._check()
        buffers = [self._held, data] if self._held else [data]
        self._held = b""
        self._send_buffers(buffers)

    def send(self, data: bytes) -> int:
        """Send ``data`` within the deadline (all of it on a plain socket).

        :raises TimeoutError: past the deadline.
        """
        if not self._plain:
            self._arm()
            return self._sock.send(data)
        self.sendall(data)
        self.flush()
        return len(data)

    def flush(self) -> None:
        """Send what is held back. :raises TimeoutError: past the deadline."""
        if self._held:
            held, self._held = self._held, b""
            self._send_buffers([held])

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send ``count`` bytes of ``file`` from ``offset`` (to its end when None) with
        ``sendfile(2)``, within the deadline. Unlike ``socket.sendfile`` it leaves the file
        position alone (gunicorn puts it back anyway).

        :raises OSError: when the file ends before ``count`` bytes (the response would be
            short of its announced length, so the connection must close).
        :raises TimeoutError: past the deadline.
        """
        if not self._plain:
            return self._sendfile_tls(file, offset, count)
        self._check()
        source = file.fileno()
        if count is None:
            count = os.fstat(source).st_size - offset
        corked = count >= CORK_MIN and self._cork(True)
        try:
            if self._held:
                held, self._held = self._held, b""
                self._send_buffers([held], socket.MSG_MORE)
            sent = self._send_file_range(source, offset, count)
        finally:
            if corked:
                self._cork(False)
        if sent < count:
            raise OSError(errno.EIO, "file shorter than the response announced")
        return sent

    def _cork(self, on: bool) -> bool:
        """``TCP_CORK`` on or off (off sends what is left): only full segments leave while a
        large file is sent, as nginx's ``tcp_nopush`` does. False where it is not available."""
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
        except (AttributeError, OSError):  # not TCP (a Unix socket), or not Linux
            return False
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    # -- plain sockets: non-blocking writes, blocking ones only while the send buffer is full ---

    def _send_buffers(self, buffers: list[bytes], flags: int = 0) -> None:
        views = [memoryview(b) for b in buffers if b]
        try:
            while views:
                try:
                    if len(views) == 1:
                        sent = self._sock.send(views[0], flags)
                    else:
                        sent = self._sock.sendmsg(views, (), flags)
                except BlockingIOError:
                    self._block()
                    continue
                views = _advance(views, sent)
                if views:  # the send buffer is full (or SO_SNDTIMEO or a signal cut it short)
                    self._block()
        finally:
            self._unblock()

    def _send_file_range(self, source: int, offset: int, count: int) -> int:
        target = self._sock.fileno()
        sent = 0
        try:
            while sent < count:
                step = min(count - sent, SENDFILE_STEP)
                try:
                    done = os.sendfile(target, source, offset + sent, step)
                except BlockingIOError:
                    self._block()
                    continue
                except OSError:
                    if sent:
                        raise
                    # a file system without sendfile support: as socket.sendfile does, send()
                    return self._send_file_by_reading(source, offset, count)
                if done == 0:
                    break
                sent += done
                if done < step:  # the send buffer is full: wait in the kernel, do not spin
                    self._block()
        finally:
            self._unblock()
        return sent

    def _send_file_by_reading(self, source: int, offset: int, count: int) -> int:
        sent = 0
        while sent < count:
            block = os.pread(source, min(count - sent, READ_BLOCK), offset + sent)
            if not block:
                break
            self._check()
            self._send_buffers([block])
            sent += len(block)
        return sent

    def _check(self) -> float:
        """Seconds left before the deadline (started by the first write).

        :raises TimeoutError: when none are.
        """
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        left = self._deadline - now
        if left <= 0:
            raise TimeoutError("response write timed out")
        return left

    def _block(self) -> None:
        """The send buffer is full: let the next write wait in the kernel, up to the
        deadline (``SO_SNDTIMEO``), rather than polling. A thread blocked in one
        ``sendfile`` call sends a large file without taking the GIL back until it is done.

        :raises TimeoutError: past the deadline.
        """
        left = self._check()
        if not self._blocking:
            self._sock.setblocking(True)
            self._blocking = True
        micros = 0 if math.isinf(left) else max(1, math.ceil(left * 1e6))  # 0: no limit
        timeval = struct.pack("@ll", *divmod(micros, 10**6))
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)

    def _unblock(self) -> None:
        """Back to non-blocking, as the worker's main loop needs the socket."""
        if self._blocking:
            self._blocking = False
            self._sock.setblocking(False)

    # -- TLS sockets: blocking writes with a timeout -------------------------------------------

    def _sendfile_tls(self, file: Any, offset: int, count: int | None) -> int:
        sent = 0
        while count is None or sent < count:
            step = 1 << 20 if count is None else min(1 << 20, count - sent)
            self._arm()
            done = self._sock.sendfile(file, offset + sent, step)
            sent += done
            if done < step:
                break
        return sent

    def _arm(self) -> None:
        left = self._check()
        self._sock.settimeout(None if math.isinf(left) else left)


def _advance(views: list[memoryview], sent: int) -> list[memoryview]:
    """``views`` without their first ``sent`` bytes."""
    while views and sent >= len(views[0]):
        sent -= len(views[0])
        views = views[1:]
    if views and sent:
        views[0] = views[0][sent:]
    return views


class BlockFileWrapper(FileWrapper):  # type: ignore[misc]
    """gunicorn's ``wsgi.file_wrapper``, reading at least :data:`FILE_BLOCK` bytes at a time.

    Where gunicorn cannot ``sendfile`` (TLS), it writes a file block by block, and each
    block costs a TLS record and a write; applications ask for 8 KiB blocks.
    """

    def __init__(self, filelike: Any, blksize: int = FILE_BLOCK) -> None:
        super().__init__(filelike, max(blksize, FILE_BLOCK))


def with_file_wrapper(wsgi: Any, wrapper: type) -> Any:
    """``wsgi`` seeing ``wrapper`` as its ``wsgi.file_wrapper``."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ["wsgi.file_wrapper"] = wrapper
        return wsgi(environ, start_response)

    return app
