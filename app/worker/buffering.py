"""gunicorn's threaded worker, except that a thread only ever sees a request that has fully
arrived, so readers never wait on uploaders.

The main thread (gunicorn's selector loop) accepts connections, does TLS handshakes and reads
every request without blocking into a :class:`~app.worker.spool.Spool`; a request goes to the
thread pool once complete (see :mod:`app.worker.intake`). The thread parses the buffered bytes
with gunicorn's own ``Request`` and runs gthread's ``handle_request``, so the application and
its semantics are unchanged. Deadlines:

* ``--read-timeout``: the whole request, head and body, from the accept (first request) or
  from its first byte (later requests on a kept-alive connection). Past it the client gets
  408 ``{"error": ...}`` and the connection closes; the application is never called, so
  nothing is stored. A connection that sent nothing is closed without a reply.
* ``--write-timeout``: the whole response, from its first byte; a client that stops reading
  is cut off and the thread freed.
* gunicorn's ``keepalive``: idle time between two requests on one connection.

Responses are written through :class:`~app.worker.sockets.DeadlineSocket`: files with
``sendfile(2)``, and a response head together with what follows it.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import math
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn.sock import ssl_context
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER
from gunicorn.workers.gthread import ThreadWorker

from app.worker.connection import Connection
from app.worker.inline import INLINE_METHODS
from app.worker.inline import Deferred
from app.worker.inline import Outbox
from app.worker.inline import inline_paths
from app.worker.inline import marking_inline
from app.worker.intake import Intake
from app.worker.limits import MEMORY_BUDGET
from app.worker.limits import MEMORY_THRESHOLD
from app.worker.limits import Limits
from app.worker.pacing import AcceptPacer
from app.worker.replies import TIMEOUT_MESSAGE
from app.worker.replies import ErrorCapture
from app.worker.replies import error_message
from app.worker.replies import error_reply
from app.worker.replies import head_request_id
from app.worker.replies import log_reply
from app.worker.replies import timeout_reply
from app.worker.sockets import BlockFileWrapper
from app.worker.sockets import DeadlineSocket
from app.worker.sockets import with_file_wrapper
from app.worker.spool import MemoryBudget
from app.worker.spool import Spool

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
PUMP_LIMIT = 1 << 20  # bytes read from one connection before the others get their turn
LINGER_SECONDS = 2.0  # how long a closing connection may still send (RFC 9112 section 9.6)
LINGER_BYTES = 64 * 1024
HEARTBEAT_SECONDS = 1.0  # at most one heartbeat (a utime of the worker's file) per interval


@dataclass
class _Exchange:
    """What gthread's ``handle_request`` needs of a connection."""

    sock: Any
    client: Any
    server: Any


class BufferingWorker(ThreadWorker):  # type: ignore[misc]
    """A ``gthread`` worker whose threads never wait for a client's request bytes."""

    wsgi: Any
    """The application (set by gunicorn's ``load_wsgi``)."""
    last_beat = -math.inf
    """When :meth:`notify` last told the arbiter (``time.monotonic``)."""

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if "h2" in getattr(cfg, "http_protocols", ()):
            log.warning("app.worker serves HTTP/1.1 only: h2 in http_protocols is ignored")

    def run(self) -> None:
        self.limits = Limits.of(self.wsgi)
        self.inline = None
        if self.cfg.is_ssl or self.cfg.sendfile is False:  # files are written block by block
            self.wsgi = with_file_wrapper(self.wsgi, BlockFileWrapper)
        else:
            self.inline = inline_paths(self.wsgi)
            self.wsgi = marking_inline(self.wsgi)
        self.budget = MemoryBudget(MEMORY_BUDGET)
        self.tls = ssl_context(self.cfg) if self.cfg.is_ssl else None
        if self.tls is not None:
            self.tls.set_alpn_protocols(["http/1.1"])
        self.conns: set[Connection] = set()
        self.timers: list[tuple[float, int, Connection]] = []
        self.sequence = itertools.count()
        self.pacer = AcceptPacer(self.cfg.threads)
        self.stopping = False
        super().run()

    def notify(self) -> None:
        """Tell the arbiter this worker is alive, at most once per :data:`HEARTBEAT_SECONDS`
        (a quarter of gunicorn's ``timeout`` if that is shorter): gunicorn's loop calls this
        once per event batch, a system call per request."""
        now = time.monotonic()
        if now - self.last_beat >= min(HEARTBEAT_SECONDS, self.timeout / 4):
            self.last_beat = now
            super().notify()

    # main thread: connections and their requests

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        try:
            conn = Connection(sock, client, listener.getsockname(), self.tls)
        except OSError as exc:
            self.log.debug("Dropping connection from %s: %s", client, exc)
            sock.close()
            return
        self.nr_conns += 1
        self.conns.add(conn)
        self._pace_accepts()
        conn.intake = self._new_intake(conn)
        self._set_deadline(conn, time.monotonic() + self.limits.read_timeout)
        self._watch(conn, selectors.EVENT_READ)

    def _pace_accepts(self) -> None:
        """Leave the next connections to the other workers after a burst (see
        :mod:`app.worker.pacing`)."""
        if self.pacer.accepted(self.nr_conns, time.monotonic()):
            self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and self.pacer.paused(time.monotonic()):
            return  # gunicorn's loop asks again on its next turn
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if not self.alive and not self.stopping:
            self._stop_idle()
        self._drop_stale_timers()
        now = time.monotonic()
        if self.timers:
            timeout = max(0.0, min(timeout, self.timers[0][0] - now))
        if self.alive and self.pacer.paused(now):
            timeout = max(0.0, min(timeout, self.pacer.paused_until - now))
        super().wait_for_and_dispatch_events(timeout)
        self._expire()

    def finish_request(self, conn: Connection, fs: Any) -> None:
        try:
            keep = not fs.cancelled() and bool(fs.result())
        except Exception:
            keep = False
        self._after_response(conn, keep)

    def _after_response(self, conn: Connection, keep: bool) -> None:
        conn.intake.close()
        if conn.sock.fileno() < 0:
            self._drop(conn)
        elif keep and not conn.peer_closed:
            self._guard(conn, self._await_next)
        else:
            self._linger(conn)

    def _on_event(self, conn: Connection, _fileobj: Any) -> None:
        self._guard(conn, self._receive)

    def _guard(self, conn: Connection, step: Callable[[Connection], None]) -> None:
        """Run ``step``; if it fails, drop the connection but keep the worker's loop going."""
        try:
            step(conn)
        except OSError as exc:  # ssl.SSLError included: a failed handshake
            self.log.debug("Dropping connection from %s: %s", conn.client, exc)
            self._drop(conn)
        except Exception:
            self.log.exception("Error receiving a request from %s", conn.client)
            self._drop(conn)

    def _receive(self, conn: Connection) -> None:
        if conn.outbox is not None:
            self._send_out(conn)
        elif conn.lingering:
            self._drain(conn)
        elif conn.handshaking:
            self._handshake(conn)
        else:
            self._pump(conn)

    def _handshake(self, conn: Connection) -> None:
        wanted = conn.handshake()
        if wanted is not None:
            self._watch(conn, wanted)
            return
        self._watch(conn, selectors.EVENT_READ)
        self._pump(conn)

    def _pump(self, conn: Connection) -> None:
        received = 0
        while received < PUMP_LIMIT or conn.pending():
            data = conn.recv()
            if data is None:
                return
            if not data:
                conn.peer_closed = True
                self._drop(conn)  # an unfinished request is never passed on
                return
            received += len(data)
            if self._take(conn, data):
                return

    def _take(self, conn: Connection, data: bytes) -> bool:
        """Feed ``data`` to the request; True when it went to a thread."""
        if conn.idle:
            conn.idle = False
            self._set_deadline(conn, time.monotonic() + self.limits.read_timeout)
        rest = conn.intake.feed(data)
        if conn.intake.continue_due:
            conn.intake.continue_due = False
            conn.send_now(CONTINUE)
        if not conn.intake.ready:
            return False
        conn.carry = rest
        self._unwatch(conn)
        self._clear_deadline(conn)
        if not (self._may_inline(conn) and self._serve_inline(conn)):
            self.enqueue_req(conn)
        return True

    def _may_inline(self, conn: Connection) -> bool:
        """Whether to try ``conn``'s request on the main loop (see :mod:`app.worker.inline`)."""
        head = conn.intake.head
        return (
            self.inline is not None
            and head is not None
            and conn.intake.bodiless
            and head.method in INLINE_METHODS
            and self.inline(head.path)
        )

    def _serve_inline(self, conn: Connection) -> bool:
        """Answer ``conn``'s request on the main loop; False when the application deferred
        it to a thread."""
        outbox = Outbox(conn.sock)
        try:
            keep = self._respond(conn, outbox)
        except Deferred:
            outbox.close()
            return False
        conn.outbox, conn.keep = outbox, keep
        self._set_deadline(conn, time.monotonic() + self.limits.write_timeout)
        self._send_out(conn)
        return True

    def _send_out(self, conn: Connection) -> None:
        assert conn.outbox is not None
        if not conn.outbox.pump():
            self._watch(conn, selectors.EVENT_WRITE)
            return
        conn.outbox.close()
        conn.outbox = None
        self._clear_deadline(conn)
        self._after_response(conn, conn.keep)

    def _await_next(self, conn: Connection) -> None:
        if conn.sock.gettimeout() != 0.0:  # a TLS response set a timeout
            conn.sock.setblocking(False)
        conn.intake = self._new_intake(conn)
        conn.idle = True
        carry, conn.carry = conn.carry, b""
        if carry and self._take(conn, carry):
            return
        if conn.idle:
            self._set_deadline(conn, time.monotonic() + self._idle_seconds())
        self._watch(conn, selectors.EVENT_READ)
        if conn.pending():
            self._pump(conn)

    def _new_intake(self, conn: Connection) -> Intake:
        conn.requests += 1
        spool = Spool(MEMORY_THRESHOLD, self.budget)
        return Intake(self.cfg, conn.client, conn.requests, spool, self.limits.max_body)

    def _idle_seconds(self) -> float:
        seconds = float(self.cfg.keepalive)
        return seconds if self.alive else min(seconds, STOP_KEEPALIVE_LINGER)

    def _stop_idle(self) -> None:
        """On shutdown, close idle connections soon; requests being received may finish."""
        self.stopping = True
        soon = time.monotonic() + STOP_KEEPALIVE_LINGER
        for conn in self.conns:
            idle = conn.idle or not conn.intake.started
            if idle and conn.deadline is not None and conn.deadline > soon:
                self._set_deadline(conn, soon)

    # main thread: deadlines and closing

    def _set_deadline(self, conn: Connection, when: float) -> None:
        conn.deadline, conn.timer = when, next(self.sequence)
        if when != float("inf"):
            heapq.heappush(self.timers, (when, conn.timer, conn))

    def _drop_stale_timers(self) -> None:
        """Pop replaced or cleared deadlines off the top of the heap (they are left in it
        when replaced), so that the loop never wakes up for one: two per request."""
        while self.timers:
            _, timer, conn = self.timers[0]
            if conn.timer == timer and conn in self.conns:
                return
            heapq.heappop(self.timers)

    def _expire(self) -> None:
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, timer, conn = heapq.heappop(self.timers)
            if conn.timer == timer and conn in self.conns:
                self._on_deadline(conn)

    def _clear_deadline(self, conn: Connection) -> None:
        conn.deadline = conn.timer = None

    def _on_deadline(self, conn: Connection) -> None:
        self._clear_deadline(conn)
        if conn.outbox is not None:
            self.log.warning("Response to %s not written within the write timeout", conn.client)
            self._drop(conn)
            return
        if conn.lingering or conn.idle or conn.handshaking or not conn.intake.started:
            self._drop(conn)
            return
        head = conn.intake.head
        req_id = head_request_id(head)
        log_reply(408, TIMEOUT_MESSAGE, head, conn.client, req_id)
        conn.send_now(timeout_reply(req_id))
        self._linger(conn)

    def _linger(self, conn: Connection) -> None:
        """Close after the reply: stop sending, let the client finish (RFC 9112 9.6)."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            self._drop(conn)
            return
        conn.lingering = True
        self._set_deadline(conn, time.monotonic() + LINGER_SECONDS)
        self._watch(conn, selectors.EVENT_READ)

    def _drain(self, conn: Connection) -> None:
        while conn.drained < LINGER_BYTES:
            data = conn.recv()
            if data is None:
                return
            if not data:
                break
            conn.drained += len(data)
        self._drop(conn)

    def _drop(self, conn: Connection) -> None:
        self._unwatch(conn)
        self._clear_deadline(conn)
        if conn in self.conns:
            self.conns.discard(conn)
            conn.intake.close()
            if conn.outbox is not None:
                conn.outbox.close()
                conn.outbox = None
            conn.close()
            self.nr_conns -= 1

    def _watch(self, conn: Connection, events: int) -> None:
        if conn.events == events:
            return
        callback = partial(self._on_event, conn)
        if conn.events:
            self.poller.modify(conn.sock, events, callback)
        else:
            self.poller.register(conn.sock, events, callback)
        conn.events = events

    def _unwatch(self, conn: Connection) -> None:
        if conn.events:
            conn.events = 0
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    # request threads

    def handle(self, conn: Connection) -> bool:
        """Serve the request ``conn`` received; whether the connection may serve another."""
        return self._respond(conn, DeadlineSocket(conn.sock, self.limits.write_timeout))

    def _respond(self, conn: Connection, sock: DeadlineSocket | Outbox) -> bool:
        """Run the application on ``conn``'s request, writing to ``sock``; whether the
        connection may serve another. :raises Deferred: from the application."""
        intake = conn.intake
        request = None
        try:
            request = intake.parse()
            served = self.handle_request(request, _Exchange(sock, conn.client, conn.server))
            sock.flush()
            return bool(served) and intake.complete
        except StopIteration:
            return False
        except TimeoutError:
            self.log.warning("Response to %s not written within the write timeout", conn.client)
        except OSError as exc:
            self.log.debug("Connection from %s lost: %s", conn.client, exc)
        except Exception as exc:
            head = request if request is not None else intake.head  # a bad chunked body
            self.handle_error(head, sock, conn.client, exc)
        return False

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's handling of its own errors (status, log), answered as JSON."""
        capture = ErrorCapture()
        super().handle_error(req, capture, addr, exc)
        status, reason = capture.status()
        message, req_id = error_message(status, exc), head_request_id(req)
        log_reply(status, message, req, addr, req_id)
        try:
            client.sendall(error_reply(status, reason, message, req_id))
            if isinstance(client, (DeadlineSocket, Outbox)):
                client.flush()
        except OSError:
            self.log.debug("Failed to send error message.")
