"""Turn stored packages into index entries, in parallel when there are many."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.gocompat.times import format_time
from app.index import render
from app.index.entry import IndexEntry
from app.tenancy import storage_path
from backends.base import ObjectNotFound
from backends.base import StorageBackend

log = logging.getLogger("chartmuseum")

#: below this many packages a process pool costs more than it saves
POOL_THRESHOLD = 200


@dataclass(frozen=True)
class UrlScheme:
    """How a stored file name becomes the URL written in the index."""

    base: str = ""  # "" → relative "charts/<file>"

    def url(self, filename: str) -> str:
        return f"{self.base}/charts/{filename}" if self.base else f"charts/{filename}"

    def for_repo(self, repo: str) -> UrlScheme:
        """The scheme of one tenant: absolute bases gain ``/<repo>``."""
        return UrlScheme(f"{self.base}/{repo}") if self.base and repo else self


def entry_from_metadata(
    metadata: dict[str, Any], filename: str, content: bytes, mtime_ns: int, urls: UrlScheme
) -> IndexEntry:
    """Build an entry from already-validated chart metadata and the stored bytes."""
    digest = hashlib.sha256(content).hexdigest()
    record = render.chart_version_record(
        metadata,
        urls=[urls.url(filename)],
        created=format_time(mtime_ns),
        digest=digest,
    )
    return IndexEntry(
        filename=filename,
        name=metadata["name"],
        version=metadata["version"],
        digest=digest,
        mtime_ns=mtime_ns,
        size=len(content),
        yaml=render.yaml_entry(record),
        json=render.json_entry(record),
    )


def entry_from_package(filename: str, content: bytes, mtime_ns: int, urls: UrlScheme) -> IndexEntry:
    """Parse a stored package. :raises ChartInvalid: when it is not a valid chart."""
    from app.charts.loader import ChartInvalid
    from app.charts.loader import load_chart

    if not content:
        raise ChartInvalid("empty package")
    chart = load_chart(content, metadata_only=True)
    return entry_from_metadata(chart.metadata, filename, content, mtime_ns, urls)


# A package to parse: (file name, bytes, mtime_ns); the result is an entry or an error text.
Job = tuple[str, bytes, int]
Result = tuple[str, IndexEntry | None, str]
Reader = Callable[[str], tuple[bytes, int]]


VANISHED = "no longer in storage"
"""The error of a package deleted between the listing and its read: it is gone, not invalid."""


def _parse_job(job: Job, urls: UrlScheme) -> Result:
    from app.charts.loader import ChartInvalid

    filename, content, mtime_ns = job
    try:
        return filename, entry_from_package(filename, content, mtime_ns, urls), ""
    except ChartInvalid as exc:
        return filename, None, str(exc)


def _parse_chunk(jobs: list[Job], urls: UrlScheme) -> list[Result]:
    return [_parse_job(job, urls) for job in jobs]


def _read_jobs(read: Reader, names: Sequence[str]) -> tuple[list[Job], list[Result]]:
    """(the packages read, results for those that vanished since they were listed)."""
    jobs: list[Job] = []
    vanished: list[Result] = []
    for filename in names:
        try:
            jobs.append((filename, *read(filename)))
        except ObjectNotFound:
            vanished.append((filename, None, VANISHED))
    return jobs, vanished


def _read_and_parse(read: Reader, names: Sequence[str], urls: UrlScheme) -> list[Result]:
    """Read and parse one package after the other (one package's bytes in memory)."""
    results: list[Result] = []
    for filename in names:
        try:
            content, mtime_ns = read(filename)
        except ObjectNotFound:
            results.append((filename, None, VANISHED))
            continue
        results.append(_parse_job((filename, content, mtime_ns), urls))
    return results


class StorageReader:
    """Reads a tenant's packages: ``reader(filename) -> (bytes, mtime_ns)``.

    Picklable when the backend is (local storage), so pool processes read for themselves.
    """

    def __init__(self, backend: StorageBackend, repo: str) -> None:
        self.backend = backend
        self.repo = repo
        self.in_subprocess = backend.reads_in_subprocess

    def __call__(self, filename: str) -> tuple[bytes, int]:
        obj = self.backend.get_object(storage_path(self.repo, filename))
        return obj.content, obj.last_modified_ns


def parse_packages(
    read: Reader,
    filenames: Sequence[str],
    urls: UrlScheme,
    workers: int = 0,
) -> list[Result]:
    """Read and parse many packages; uses a process pool when there are enough of them.

    :param read: returns (bytes, mtime_ns) of a file name (storage errors propagate, but
        a package deleted since it was listed gets the error :data:`VANISHED`).
    :param workers: parallel parsers (0: one per CPU).
    """
    workers = workers or os.cpu_count() or 1
    if len(filenames) < POOL_THRESHOLD or workers == 1:
        return _read_and_parse(read, filenames, urls)
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _parse_in_pool(read, filenames, urls, workers)
    except (BrokenProcessPool, OSError) as exc:  # no subprocesses here: do it in-process
        log.warning("parallel parsing unavailable, parsing serially: %s", exc)
        return _read_and_parse(read, filenames, urls)


def _parse_in_pool(
    read: Reader, filenames: Sequence[str], urls: UrlScheme, workers: int
) -> list[Result]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(50, len(filenames) // (workers * 4))
    groups = [filenames[i : i + chunk] for i in range(0, len(filenames), chunk)]
    # fork is cheapest but only safe while this process has a single thread
    method = "fork" if threading.active_count() == 1 else "forkserver"
    ctx = multiprocessing.get_context(method)
    results: list[Result] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        if getattr(read, "in_subprocess", False):
            futures = [pool.submit(_read_and_parse, read, group, urls) for group in groups]
        else:
            futures = []
            for group in groups:
                jobs, vanished = _read_jobs(read, group)
                results += vanished
                futures.append(pool.submit(_parse_chunk, jobs, urls))
        for fut in futures:
            results.extend(fut.result())
    return results
