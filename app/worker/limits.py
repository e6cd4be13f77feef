"""The limits the worker enforces, taken from the application it serves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MEMORY_THRESHOLD = 1 << 20
"""Bytes of one request kept in memory before the rest goes to a temporary file."""

MEMORY_BUDGET = 32 << 20
"""Bytes all the requests being received by one worker may keep in memory together."""


@dataclass(frozen=True)
class Limits:
    """``--read-timeout``, ``--write-timeout`` (seconds; inf when 0) and ``--max-upload-size``."""

    read_timeout: float
    write_timeout: float
    max_body: int

    @classmethod
    def of(cls, wsgi: Any) -> Limits:
        """The limits of the application ``wsgi`` (ChartMuseum's defaults for another app)."""
        from app.options import Config
        from app.services import KEY

        extensions = getattr(wsgi, "extensions", None)
        services = extensions.get(KEY) if isinstance(extensions, dict) else None
        config = getattr(services, "config", None)
        if not isinstance(config, Config):
            config = Config()
        return cls(
            _seconds(config.read_timeout),
            _seconds(config.write_timeout),
            config.max_upload_size,
        )


def _seconds(value: float) -> float:
    return float(value) if value > 0 else math.inf
