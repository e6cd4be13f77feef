"""The worker's own answers, in the application's error shape: ``{"error": "..."}``."""

from __future__ import annotations

from app.http import JSON_TYPE
from app.index.render import go_json

TIMEOUT_MESSAGE = "request not received within the read timeout"


def error_reply(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 error response that closes the connection."""
    body = go_json({"error": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {JSON_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def timeout_reply() -> bytes:
    """408 for a request whose head and body did not arrive within ``--read-timeout``."""
    return error_reply(408, "Request Timeout", TIMEOUT_MESSAGE)


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
