"""The format version of everything the index persists, and the names it persists under.

Index entries persist already rendered (YAML and JSON fragments, see
:meth:`IndexEntry.to_wire`), and the memo keeps parsed charts. State written by a release
that rendered differently must never be served, so every persisted kind lives under a name
that carries :data:`FORMAT_VERSION`::

    <cache_dir>/v<N>/tenants/<hash>/   file snapshot (magic ``CMSNAP<N>``), journal, markers
    <cache_dir>/v<N>/memo/             cachelib FileSystemCache: package and chart memo
    chartmuseum:v<N>:<hash>:...        Redis snapshot, journal, epoch, lock, markers
    chartmuseum:v<N>:tenants           Redis set of tenant paths
    chartmuseum:v<N>:memo:...          cachelib RedisCache: package and chart memo

The snapshot header repeats the version, so a snapshot moved between namespaces is still
refused. State of another version is never read; a release starts from storage instead.
Version 1 was the unversioned layout (``tenants/``, ``memo/``, ``chartmuseum:<hash>``,
``chartmuseum:tenants``, ``chartmuseum:memo:``, ``CMSNAP1``); version 3 added the README to
the memoized :class:`~app.charts.loader.LoadedChart`.

Rolling upgrades: two releases sharing one Redis (or one cache dir) each keep their own
state, so neither serves the other's fragments and neither rebuilds what the other wrote
(no ping-pong). The price: a change made through the other release reaches this one through
storage, not the journal, i.e. at the next change-token check (a ``stat`` for local
storage) or ``--cache-interval`` rescan, and each release parses the packages once more.

State of other versions is left in place: the cache dir or Redis may still be in use by the
other release, and deleting a folder under a live instance breaks its writes. Remove
``tenants/``, ``memo/`` and ``v<M>/`` (M != N), or Redis keys outside
``chartmuseum:v<N>:``, once no instance of another release remains.
"""

from __future__ import annotations

import os

FORMAT_VERSION = 3
"""Bump on ANY change to how an entry renders or to the persisted layout.

That is: :mod:`app.index.render` output, the metadata the chart loader derives (index
entries and the memoized :class:`~app.charts.loader.LoadedChart`), ``IndexEntry.to_wire``,
the snapshot or journal encoding, or what the memo stores. Every release then rebuilds
from storage into a fresh namespace.
"""


def state_root(cache_dir: str) -> str:
    """The folder of this version's file state and memo under ``cache_dir``."""
    return os.path.join(cache_dir, f"v{FORMAT_VERSION}")


def redis_prefix() -> str:
    """The prefix of every Redis key this version reads or writes."""
    return f"chartmuseum:v{FORMAT_VERSION}:"


def snapshot_magic() -> bytes:
    """The first bytes of a snapshot of this version."""
    return f"CMSNAP{FORMAT_VERSION}\n".encode()
