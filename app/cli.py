"""The ``chartmuseum`` command."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

    from app.options import Config
    from app.repository import Repository


def fatal(message: str) -> None:
    """Print like Go's ``log.Fatal`` and exit 1."""
    print(time.strftime("%Y/%m/%d %H:%M:%S ") + message, file=sys.stderr)
    sys.exit(1)


def prime(config: Config) -> Repository:
    """Build (or load) the root index before serving.

    The workers forked afterwards inherit it in memory, so they answer at once; a state
    file write it caused is left to them (``--gen-index`` writes it before exiting).
    """
    from app.index.listing import ListingAhead
    from app.startup import build_backend
    from app.startup import cache_dir_for

    backend = build_backend(config)
    # made before the listing is taken: creating it in the storage folder moves that
    # folder's change token, and a listing taken before would be rescanned at once
    cache_dir = cache_dir_for(config, backend)
    # the root's listing is taken by a forked child while the index engine is imported
    # and its state loaded: the start needs both
    ahead = ListingAhead.start(backend, "")
    try:
        from app.repository_setup import build_repository

        repository = build_repository(config, backend, cache_dir)
        if ahead is not None:
            repository.engine.list_ahead(ahead)
        repository.index("").rendered()
    finally:
        if ahead is not None:
            ahead.discard()  # not taken: the snapshot matched storage
    if config.gen_index:
        repository.flush()
    return repository


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, prime the index, then serve with gunicorn until SIGTERM."""
    # Startup allocates a lot and frees almost nothing: the collector's passes over the
    # modules and the index being loaded cost about 40 ms of a warm start, so it stays off
    # until the index is loaded (and frozen: see _start).
    gc.disable()
    try:
        config, log, repository = _start(sys.argv[1:] if argv is None else argv)
    finally:
        gc.enable()
    if config.gen_index and repository is not None:
        sys.stdout.buffer.write(repository.index("").rendered().body)
        sys.stdout.flush()
        return
    serve(config, log, repository)


def _start(argv: Sequence[str]) -> tuple[Config, logging.Logger, Repository | None]:
    """The configuration, the logger and (at depth 0) the primed repository; exits 1 on a
    configuration or storage error. The modules are imported here, with the collector off."""
    from app.config import explicitly_set
    from app.config import load_config
    from app.errors import ConfigError
    from app.logs import setup_logging
    from app.startup import check_config
    from app.startup import deprecation_warnings
    from app.startup import normalise

    try:
        config = normalise(load_config(argv, os.environ))
        check_config(config)
    except ConfigError as exc:
        fatal(str(exc))
    log = setup_logging(config.debug, config.log_json)
    for warning in deprecation_warnings(explicitly_set(argv, os.environ)):
        log.warning(warning)
    repository = None
    try:
        if config.depth == 0:
            repository = prime(config)
    except Exception as exc:  # config and storage errors at startup are fatal
        fatal(str(exc))
    if not config.gen_index:
        import app.factory  # noqa: F401 - the app and its routes, once, before the workers fork
    # what was loaded lives as long as the process: keep the collector from re-scanning it,
    # and keep the forked workers from copying its pages when the collector would touch them
    gc.freeze()
    return config, log, repository


def serve(config: Config, log: logging.Logger, repository: Repository | None) -> None:
    """Run gunicorn in this process."""
    from app.server import ChartMuseumServer

    fields = {"host": config.listen_host, "port": config.port}
    log.info("Starting ChartMuseum", extra={"fields": fields})
    sys.argv = sys.argv[:1]  # gunicorn must not re-parse our flags
    ChartMuseumServer(config, repository).run()


if __name__ == "__main__":
    main()
