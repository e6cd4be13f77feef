"""X-Request-Id: the client's own, when it can be sent back as it is, or a new UUID.

The application (:mod:`app.pipeline`) and the worker's own answers (:mod:`app.worker.replies`)
follow the same rule, so that every answer of the server carries one.
"""

from __future__ import annotations

import random
import re

HEADER = "X-Request-Id"
_VARIANT = "89ab"  # RFC 9562 variant bits 10xx

# visible ASCII, spaces inside only: a header value safe to write back and to log
_VALID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def request_id(sent: str | None) -> str:
    """``sent`` (the client's X-Request-Id) when it is valid, else a new UUID4."""
    if sent and _VALID.fullmatch(sent):
        return sent
    return new_id()


def new_id() -> str:
    """A random UUID4 in its usual text form.

    An id correlates log lines, it guards nothing: the random bits come from the process's
    pseudo-random generator (reseeded in every forked worker) rather than ``os.urandom``,
    whose system call would hand the GIL over on the cheapest requests.
    """
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
