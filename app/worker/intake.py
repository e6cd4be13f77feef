"""One request arriving on a connection, spooled until gunicorn can parse it whole.

The head is parsed with gunicorn's own ``Request`` as soon as it may be complete (a line
ended, or a size limit was crossed), which gives gunicorn's verdict on a bad head and its
framing of the body: a Content-Length, chunked, or none. The body is then spooled up to its
end; bytes past the end belong to the next request on the connection and are handed back.
On a request thread, gunicorn's body reader for that framing reads the spooled body.

A request is *ready* for a thread when it is complete, when its head is bad (gunicorn's error
is answered), or when its body is larger than ``max_body`` (the application answers 413 as
soon as it reads past the limit, and the body is never read to its end).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from gunicorn.http.body import ChunkedReader
from gunicorn.http.body import LengthReader
from gunicorn.http.errors import LimitRequestHeaders
from gunicorn.http.errors import NoMoreData
from gunicorn.http.message import DEFAULT_MAX_HEADERFIELD_SIZE
from gunicorn.http.message import MAX_HEADERS
from gunicorn.http.message import MAX_REQUEST_LINE
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader
from werkzeug.exceptions import RequestEntityTooLarge

from app.worker.chunked import ChunkedFraming
from app.worker.chunked import FramingError
from app.worker.spool import PIECE
from app.worker.spool import Spool

_PROXY_LINE = 536
"""Room for a PROXY protocol line or header before the request line."""


@functools.cache
def head_limits(cfg: Any) -> tuple[int, int]:
    """Bytes after which gunicorn has rejected a request line, and a whole head."""
    line = cfg.limit_request_line
    line = line if 0 < line < MAX_REQUEST_LINE else MAX_REQUEST_LINE
    fields = cfg.limit_request_fields
    fields = fields if 0 < fields <= MAX_HEADERS else MAX_HEADERS
    field = cfg.limit_request_field_size
    field = field if field > 0 else DEFAULT_MAX_HEADERFIELD_SIZE
    return line + 4, _PROXY_LINE + line + 4 + fields * (field + 2) + 4


class Intake:
    """The bytes of one request, and what is known of its framing so far."""

    def __init__(self, cfg: Any, client: Any, number: int, spool: Spool, max_body: int) -> None:
        self.cfg = cfg
        self.client = client
        self.number = number
        """Position of the request on its connection (1 for the first)."""
        self.spool = spool
        self.max_body = max_body
        self.error: Exception | None = None
        """gunicorn's error for a bad head: answered without calling the application."""
        self.complete = False
        self.oversized = False
        self.malformed = False
        self.continue_due = False
        """The client waits for ``100 Continue`` before it sends the body."""
        self._line_cap, self._head_cap = head_limits(cfg)
        self._request: Request | None = None
        self._length: int | None = None  # of a body framed by Content-Length (or none)
        self._chunks: ChunkedFraming | None = None

    @property
    def ready(self) -> bool:
        """Whether a thread can take the request now."""
        return self.complete or self.oversized or self.malformed or self.error is not None

    @property
    def head(self) -> Request | None:
        """gunicorn's request once its head has arrived and was valid, else None."""
        return self._request

    @property
    def bodiless(self) -> bool:
        """Whether the request arrived whole, and without a body."""
        return self.complete and self._length == 0

    @property
    def started(self) -> bool:
        """Whether any byte of the request has arrived."""
        return self._request is not None or self.spool.size > 0

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the connection; return those that follow this request."""
        if self.ready:
            return data
        if self._request is None:
            return self._feed_head(data)
        return self._feed_body(data)

    def parse(self) -> Request:
        """gunicorn's request, its body read from the spool (on a request thread, once ready).

        A chunked body is decoded once first, so that gunicorn's reader reports a fault in
        it before the application runs. The body of an oversized request ends early:
        reading past what arrived raises the 413 the application answers for a body over
        ``--max-upload-size``.

        :raises Exception: gunicorn's error for a bad head or chunked body.
        """
        if self.error is not None:
            raise self.error
        request = self._request
        assert request is not None
        if self._chunks is not None and not self.oversized:
            self._read_body_from_spool(request)
            while request.body.read(PIECE):
                pass
        self._read_body_from_spool(request)
        request._expected_100_continue = False  # answered while the body was received
        return request

    def _read_body_from_spool(self, request: Request) -> None:
        request.unreader = IterUnreader(self._body())
        request.set_body_reader()

    def _body(self) -> Iterator[bytes]:
        yield from self.spool.pieces()
        if self.oversized:
            raise RequestEntityTooLarge()

    def close(self) -> None:
        """Free the spool."""
        self.spool.close()

    def _feed_head(self, data: bytes) -> bytes:
        before = self.spool.size
        self.spool.write(data)
        if not self._head_may_be_complete(data, before):
            return b""
        parsed = self._parse_head()
        if parsed is None:
            return b""
        head_len, request = parsed
        tail = self.spool.cut(head_len)
        self.spool.cut(0)  # the spool keeps the body only
        self._request = request
        self._frame(request)
        rest = self._feed_body(tail)
        self.continue_due = request._expected_100_continue and not self.ready
        return rest

    def _head_may_be_complete(self, data: bytes, before: int) -> bool:
        size = self.spool.size
        return b"\n" in data or before < self._line_cap <= size or size >= self._head_cap

    def _parse_head(self) -> tuple[int, Request] | None:
        prefix = self.spool.prefix(self._head_cap)
        unreader = IterUnreader((prefix,))
        try:
            request = Request(self.cfg, unreader, self.client, self.number)
        except NoMoreData:
            if self.spool.size >= self._head_cap:
                self.error = LimitRequestHeaders("max buffer headers")
            return None
        except Exception as exc:  # gunicorn's verdict on the head, answered as JSON
            self.error = exc
            return None
        return len(prefix) - len(unreader.take_buffered()), request

    def _frame(self, request: Request) -> None:
        reader = request.body.reader
        if isinstance(reader, ChunkedReader):
            self._chunks = ChunkedFraming(
                reader.limit_chunk_size_line, reader.limit_trailer_section
            )
            return
        self._length = reader.length if isinstance(reader, LengthReader) else 0
        self.oversized = self._length > self.max_body

    def _feed_body(self, data: bytes) -> bytes:
        if self.oversized:
            self.spool.write(data)
            return b""
        if self._length is not None:
            need = self._length - self.spool.size
            self.spool.write(data[:need])
            self.complete = self.spool.size == self._length
            return data[need:]
        assert self._chunks is not None
        try:
            end = self._chunks.feed(data)
        except FramingError:
            self.malformed = True
            end = len(data)
        self.spool.write(data if end is None else data[:end])
        if self._chunks.decoded > self.max_body:
            self.oversized = True
        elif end is not None and not self.malformed:
            self.complete = True
        return b"" if end is None or self.malformed else data[end:]
