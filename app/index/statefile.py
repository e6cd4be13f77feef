"""ChartMuseum's ``index-cache.yaml`` state file: read once at a cold start, kept up to date."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
from typing import Any

from app.index import render
from app.index.build import UrlScheme
from app.index.entry import IndexEntry
from app.tenancy import storage_path
from backends.base import ObjectNotFound
from backends.base import StorageBackend
from backends.base import StorageError

log = logging.getLogger("chartmuseum")
STATEFILE = "index-cache.yaml"
_TS = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")
_NOT_METADATA = ("urls", "created", "digest", "removed")


def parse_time_ns(text: str) -> int:
    """RFC 3339 (nanosecond precision) to nanoseconds since the epoch; 0 if unparsable."""
    match = _TS.fullmatch(text.strip())
    if not match:
        return 0
    base, frac, zone = match.groups()
    seconds = calendar.timegm(dt.datetime.fromisoformat(base).timetuple())
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 1_000_000_000 + int((frac or "0").ljust(9, "0"))


def _as_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return "" if value is None else str(value)


def _entry(record: dict[str, Any], urls: UrlScheme) -> IndexEntry | None:
    try:
        filename = str(record["urls"][0]).rsplit("/", 1)[-1]
        name, version = str(record["name"]), str(record["version"])
    except (KeyError, IndexError, TypeError):
        return None
    created = _as_text(record.get("created"))
    digest = str(record.get("digest") or "")
    metadata = {k: v for k, v in record.items() if k not in _NOT_METADATA}
    full = render.chart_version_record(
        metadata, urls=[urls.url(filename)], created=created, digest=digest
    )
    mtime_ns = parse_time_ns(created) if digest else 0
    return IndexEntry(
        filename,
        name,
        version,
        digest,
        mtime_ns,
        -1,
        render.yaml_entry(full),
        render.json_entry(full),
    )


def _parse(body: bytes) -> dict[str, Any]:
    """The state file's mapping. :raises ValueError: when it is neither JSON nor YAML."""
    try:
        data = json.loads(body)
    except ValueError:
        import yaml  # only for a YAML state file: not worth its import at every start

        try:
            data = yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from None
    if not isinstance(data, dict):
        raise ValueError("not a mapping")
    return data


def load_statefile(backend: StorageBackend, repo: str, url_base: str) -> list[IndexEntry]:
    """Entries saved in the tenant's state file; [] when absent or unreadable."""
    try:
        body = backend.get_object(storage_path(repo, STATEFILE)).content
    except ObjectNotFound:
        return []
    try:
        entries = _parse(body).get("entries") or {}
        records = [r for versions in entries.values() for r in versions or ()]
    except (ValueError, AttributeError) as exc:
        fields = {"repo": repo, "error": str(exc)}
        log.warning("index-cache.yaml found but could not be parsed", extra={"fields": fields})
        return []
    urls = UrlScheme(url_base).for_repo(repo)
    found = [_entry(r, urls) for r in records if isinstance(r, dict)]
    log.debug("index-cache.yaml loaded", extra={"fields": {"repo": repo}})
    return [e for e in found if e is not None]


def save_statefile(backend: StorageBackend, repo: str, body: bytes) -> bool:
    """Write the state file; failures are logged, never raised.

    Not flushed to stable storage: it is a cache of what storage holds (a crash costs a
    rebuild from the packages), and it is rewritten after every burst of changes.
    """
    try:
        backend.put_object(storage_path(repo, STATEFILE), body, durable=False)
    except StorageError as exc:
        fields = {"repo": repo, "error": str(exc)}
        log.warning("Error saving index-cache.yaml", extra={"fields": fields})
        return False
    log.debug("index-cache.yaml saved in storage", extra={"fields": {"repo": repo}})
    return True
