"""Go's RFC 3339 times: ``time.RFC3339Nano`` formatting and the syntax ``time.Time`` accepts."""

from __future__ import annotations

import datetime
import re
import time
from typing import Final

# What ``time.Time.UnmarshalJSON`` accepts (``time.RFC3339``, any fraction).
RFC3339: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def format_time(ts_ns: int, tz: datetime.tzinfo | None = None) -> str:
    """Go ``time.RFC3339Nano`` of ``ts_ns`` (nanoseconds since the epoch).

    The zone is the process's local zone (``TZ``), or ``tz`` when given; ``Z`` for offset 0.
    """
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    if tz is None:
        local = time.localtime(seconds)
        stamp, offset = time.strftime("%Y-%m-%dT%H:%M:%S", local), local.tm_gmtoff
    else:
        moment = datetime.datetime.fromtimestamp(seconds, tz)
        delta = moment.utcoffset()
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
        offset = int(delta.total_seconds()) if delta is not None else 0
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return stamp + fraction + _zone(offset)


def _zone(offset: int) -> str:
    if offset == 0:
        return "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"
