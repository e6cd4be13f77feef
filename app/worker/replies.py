"""The worker's own answers, in the application's error shape: ``{"error": "..."}``.

Like the application's, they carry an X-Request-Id (the client's, when its head could be
parsed) and are logged with it.
"""

from __future__ import annotations

import logging
from typing import Any

from app.gocompat.json_encoding import go_json
from app.http import JSON_TYPE
from app.logs import LOGGER
from app.requestid import HEADER
from app.requestid import request_id

TIMEOUT_MESSAGE = "request not received within the read timeout"

log = logging.getLogger(LOGGER)


def head_request_id(head: Any) -> str:
    """The X-Request-Id of an answer to ``head`` (gunicorn's parsed request, or None)."""
    values = [value for name, value in getattr(head, "headers", ()) if name == HEADER.upper()]
    return request_id(",".join(values))  # repeated fields joined, as gunicorn's environ does


def error_reply(status: int, reason: str, message: str, req_id: str) -> bytes:
    """A complete HTTP/1.1 error response that closes the connection."""
    body = go_json({"error": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {JSON_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{HEADER}: {req_id}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def timeout_reply(req_id: str) -> bytes:
    """408 for a request whose head and body did not arrive within ``--read-timeout``."""
    return error_reply(408, "Request Timeout", TIMEOUT_MESSAGE, req_id)


def log_reply(status: int, message: str, head: Any, peer: Any, req_id: str) -> None:
    """Log an answer of the worker like the application logs its own (ERROR, ``reqID``)."""
    fields = {
        "path": getattr(head, "path", ""),
        "clientIP": peer[0] if isinstance(peer, tuple) else str(peer or ""),
        "method": getattr(head, "method", ""),
        "statusCode": status,
        "error": message,
        "reqID": req_id,
    }
    log.error("Request answered by the worker", extra={"fields": fields})


class ErrorCapture:
    """Stands in for the client socket while gunicorn's ``handle_error`` writes its page.

    gunicorn decides the status of its own errors (400, 414, 431, 501, 500...) and logs
    them; the HTML page it writes is caught here and replaced by :func:`error_reply`.
    """

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> tuple[int, str]:
        """Status code and reason of the captured response (500 if none was written)."""
        line = self.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return int(parts[1]), parts[2]
        return 500, "Internal Server Error"


def error_message(status: int, exc: BaseException) -> str:
    """What the client is told: gunicorn's description of a client error, never internals."""
    if status >= 500 and status != 501:
        return "internal server error"
    return str(exc)
