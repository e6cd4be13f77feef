"""X-Request-Id: the client's own, when it can be sent back as it is, or a new UUID.

The application (:mod:`app.pipeline`) and the worker's own answers (:mod:`app.worker.replies`)
follow the same rule, so that every answer of the server carries one.
"""

from __future__ import annotations

import random
import re

HEADER = "X-Request-Id"
_getrandbits = random.getrandbits
# RFC 9562: version 4 (bits 76-79 are 0100) and variant 10 (bits 62-63)
_CLEAR = ~((0xF << 76) | (0x3 << 62))
_SET = (0x4 << 76) | (0x2 << 62)

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
    h = "%032x" % (_getrandbits(128) & _CLEAR | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
