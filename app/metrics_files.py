"""The scrape of several gunicorn workers' samples, robust to a worker creating its file.

prometheus_client creates a worker's sample file empty and sizes it just afterwards (when
the worker builds its metrics, and when it first records a new label set); a scrape that
reads the file in between fails whole with ``struct.error`` (prometheus/client_python
issue 1199), and a live gauge's file removed for a worker that just exited fails it with
``FileNotFoundError``. Here such a file is left out of that scrape: it holds no sample yet,
or no longer counts.
"""

from __future__ import annotations

import glob
import os
import struct
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""The environment variable naming the folder the workers write their samples to."""

HEADER_SIZE = 8
"""Bytes at the start of a sample file telling how much of it is used."""

ATTEMPTS = 3
"""Merges tried when a file changes under one (a worker exiting between two reads)."""


def _readable(path: str) -> bool:
    try:
        return os.path.getsize(path) >= HEADER_SIZE
    except OSError:
        return False


class WorkerFilesCollector(MultiProcessCollector):
    """prometheus_client's merge of the files in ``folder``, leaving out a file that is
    still being created or already removed."""

    def __init__(self, registry: CollectorRegistry | None, folder: str) -> None:
        self.folder = folder
        super().__init__(registry, folder)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        for _ in range(ATTEMPTS - 1):
            try:
                return self._merge_readable()
            except (FileNotFoundError, struct.error):
                continue  # a file was removed or replaced between the listing and its read
        return self._merge_readable()

    def _merge_readable(self) -> Iterable[Metric]:
        files = [f for f in glob.glob(os.path.join(self.folder, "*.db")) if _readable(f)]
        return self.merge(files, accumulate=True)  # type: ignore[no-untyped-call,no-any-return]


class WorkersExporter(GunicornInternalPrometheusMetrics):  # type: ignore[misc]
    """The exporter's gunicorn variant, scraping with :class:`WorkerFilesCollector`."""

    def generate_metrics(
        self, accept_header: str | None = None, names: list[str] | None = None
    ) -> tuple[str, str]:
        """The exposition of every worker's samples (``names``: only those series)."""
        registry: Any = CollectorRegistry()
        WorkerFilesCollector(registry, os.environ[MULTIPROC_ENV])
        if names:
            registry = registry.restricted_registry(names)
        generate_latest, content_type = choose_encoder(accept_header or "")
        return generate_latest(registry).decode("utf-8"), content_type
