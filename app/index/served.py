"""The rendered index as files, so that the server answers ``index.yaml`` with ``sendfile(2)``.

Each rendered version of a repository's index is written once, plain and gzipped, into
``<cache_dir>/v<N>/served/<repo hash>/`` (see :mod:`app.index.persisted`) under a name made
of its ETag (``<etag>.yaml``, ``<etag>.yaml.gz``; ``.json`` with ``--json-index``). A name
always holds the same bytes, so a file is never rewritten: every worker, and every instance
sharing the folder, that renders the same version finds it there (and skips compressing
it). Files are written to a temporary name and renamed into place, so a reader sees a whole
file or none. A worker writes a version only once it is asked for it again
(:data:`~app.index.chart_index.WRITE_ON_REQUEST`): while uploads follow each other, versions
read once are sent from memory, as before, and cost no disk writes.

Whoever writes a new version removes the old ones, keeping the newest :data:`KEEP` besides
it for workers that have not caught up yet; a worker whose version was removed meanwhile
writes it again (see :meth:`app.index.chart_index.RenderedIndex.forget`). Temporary files
left by a killed worker are removed once :data:`STALE_TEMP_SECONDS` old.

When the folder cannot be written (read-only, full), the caller serves the bytes from memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable

from app.index import persisted

log = logging.getLogger("chartmuseum")

KEEP = 2
"""Versions of a repository's index kept besides the one just written."""

TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 300.0
"""Age after which a temporary file is an orphan (a write takes well under a second)."""

_warned: set[str] = set()
_warned_lock = threading.Lock()


class ServedFolder:
    """The folder of one repository's index files.

    :param folder: the repository's folder (created on the first write).
    :param suffix: ``.yaml`` or ``.json``, the index format.
    """

    def __init__(self, folder: str, suffix: str) -> None:
        self.folder = folder
        self.suffix = suffix

    @classmethod
    def for_repo(cls, cache_dir: str, repo: str, json_index: bool = False) -> ServedFolder:
        """The folder of repository ``repo`` under ``cache_dir`` (named by a hash of it)."""
        key = hashlib.sha256(repo.encode()).hexdigest()[:24]
        folder = os.path.join(persisted.state_root(cache_dir), "served", key)
        return cls(folder, ".json" if json_index else ".yaml")

    def path(self, etag: str, gzipped: bool) -> str:
        """Where the version with this ETag (``"<hex>"``) lives, plain or gzipped."""
        name = etag.strip('"') + self.suffix + (".gz" if gzipped else "")
        return os.path.join(self.folder, name)

    def existing(self, etag: str, gzipped: bool, size: int | None = None) -> str | None:
        """The path of the file of this version if some worker has written it, else None.

        :param size: the expected size, when known: a file of another size does not count.
        """
        path = self.path(etag, gzipped)
        return path if _is_file(path, size) else None

    def materialize(
        self, etag: str, gzipped: bool, content: Callable[[], bytes], size: int | None = None
    ) -> str | None:
        """The path of the file of this version, written now unless already there.

        :param content: the file's bytes (called only when the file must be written).
        :param size: the expected size, when known: a file of another size is replaced.
        :returns: None when the file cannot be written (the reason is logged once).
        """
        path = self.existing(etag, gzipped, size)
        if path is not None:
            return path
        path = self.path(etag, gzipped)
        try:
            self._write(path, content())
        except OSError as exc:
            _warn_once(self.folder, exc)
            return None
        self._prune(etag.strip('"'))
        return path

    def _write(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` atomically (a temporary file renamed into place)."""
        os.makedirs(self.folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(temp, 0o644)  # mkstemp's 0600 would hide it from instances run as others
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _prune(self, current: str) -> None:
        """Remove versions older than the :data:`KEEP` newest besides ``current``, and
        orphaned temporary files. Best effort: another worker may be pruning too."""
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        now = time.time()
        versions: dict[str, float] = {}
        for entry in entries:
            with contextlib.suppress(OSError):
                mtime = entry.stat().st_mtime
                if entry.name.startswith(TEMP_PREFIX):
                    if now - mtime > STALE_TEMP_SECONDS:
                        os.unlink(entry.path)
                    continue
                tag = self._tag(entry.name)
                if tag is not None and tag != current:
                    versions[tag] = max(mtime, versions.get(tag, mtime))
        old = sorted(versions, key=versions.__getitem__, reverse=True)[KEEP:]
        for tag in old:
            for gzipped in (False, True):
                with contextlib.suppress(OSError):
                    os.unlink(self.path(tag, gzipped))

    def _tag(self, name: str) -> str | None:
        """The ETag digest in the name of one of this folder's index files, else None."""
        for ending in (self.suffix, self.suffix + ".gz"):
            if name.endswith(ending):
                return name[: -len(ending)]
        return None


def _is_file(path: str, size: int | None) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (size is None or st.st_size == size)


def _warn_once(folder: str, exc: OSError) -> None:
    with _warned_lock:
        first = folder not in _warned
        _warned.add(folder)
    fields = {"folder": folder, "error": exc.strerror or str(exc)}
    level = logging.WARNING if first else logging.DEBUG
    log.log(
        level,
        "Cannot write the index files, serving the index from memory",
        extra={"fields": fields},
    )
