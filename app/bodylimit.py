"""``--max-upload-size``: stop reading a request body as soon as it exceeds the limit.

Works for bodies with a Content-Length and for chunked ones, for raw reads and for the
multipart parser alike, and never buffers more than the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from typing import BinaryIO

from werkzeug.exceptions import RequestEntityTooLarge


class LimitedInput:
    """A ``wsgi.input`` wrapper that raises 413 once more than ``limit`` bytes are read."""

    def __init__(self, stream: BinaryIO, limit: int, declared: int | None) -> None:
        self._stream = stream
        self._left = limit
        self._declared_too_large = declared is not None and declared > limit

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestEntityTooLarge()
        return data

    def read(self, size: int | None = -1) -> bytes:
        if self._declared_too_large:
            raise RequestEntityTooLarge()
        if size is None or size < 0:
            chunks = []
            while chunk := self._stream.read(65536):
                chunks.append(self._take(chunk))
            return b"".join(chunks)
        return self._take(self._stream.read(min(size, self._left + 1)))

    def readline(self, size: int | None = -1) -> bytes:
        if self._declared_too_large:
            raise RequestEntityTooLarge()
        cap = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._take(self._stream.readline(cap))

    def __iter__(self) -> Iterable[bytes]:
        while line := self.readline():
            yield line


def limit_body(environ: dict[str, Any], limit: int) -> None:
    """Have the request of ``environ`` read its body through :class:`LimitedInput`."""
    length = environ.get("CONTENT_LENGTH")
    if (length and length != "0") or "HTTP_TRANSFER_ENCODING" in environ:
        declared = int(length) if length and length.isdigit() else None
        environ["wsgi.input"] = LimitedInput(environ["wsgi.input"], limit, declared)
    # else: HTTP/1.1 gives the request no body (RFC 9112 section 6.3), nothing to limit
