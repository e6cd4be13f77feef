"""ChartMuseum's log formats: console (tab-separated) or JSON lines, on stderr."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER = "chartmuseum"

# the encoders json.dumps would build for each record, built once
_console_fields = json.JSONEncoder(ensure_ascii=False, default=str).encode
_json_line = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

# (second, its local "YYYY-mm-ddTHH:MM:SS", its zone): records mostly share their second
_last_second: tuple[int, str, str] = (-1, "", "")


def _timestamp(created: float) -> str:
    global _last_second
    second, text, zone = _last_second
    if int(created) != second:
        local = time.localtime(created)
        zone = time.strftime("%z", local)
        zone = "Z" if zone in ("+0000", "-0000") else zone
        text = time.strftime("%Y-%m-%dT%H:%M:%S", local)
        _last_second = (int(created), text, zone)
    millis = int((created % 1) * 1000)
    return f"{text}.{millis:03d}{zone}"


def _level(record: logging.LogRecord) -> str:
    return "WARN" if record.levelname == "WARNING" else record.levelname


class ConsoleFormatter(logging.Formatter):
    """``<time>\\t<LEVEL>\\t<message>\\t{fields}``"""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {}) or {}
        line = f"{_timestamp(record.created)}\t{_level(record)}\t{record.getMessage()}"
        if fields:
            line += "\t" + _console_fields(fields)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """``{"L": level, "T": time, "M": message, ...fields}``"""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "L": _level(record),
            "T": _timestamp(record.created),
            "M": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return _json_line(data)


def setup_logging(debug: bool, as_json: bool) -> logging.Logger:
    """Configure the ``chartmuseum`` logger once per process."""
    logger = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else ConsoleFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    return logger
