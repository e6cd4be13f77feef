"""X-Request-Id: the client's own, when it can be sent back as it is, or a new UUID.

The application (:mod:`app.pipeline`) and the worker's own answers (:mod:`app.worker.replies`)
follow the same rule, so that every answer of the server carries one.
"""

from __future__ import annotations

import re
import uuid

HEADER = "X-Request-Id"

# visible ASCII, spaces inside only: a header value safe to write back and to log
_VALID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def request_id(sent: str | None) -> str:
    """``sent`` (the client's X-Request-Id) when it is valid, else a new UUID4."""
    if sent and _VALID.fullmatch(sent):
        return sent
    return str(uuid.uuid4())
