"""Storage folders that tests can make read-only or fill up.

Root ignores permission bits, so as root a folder is made read-only by mounting a tmpfs on
it and remounting that read-only; other users get ``chmod``. Tests skip (saying why) when
neither works.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

IS_ROOT = os.geteuid() == 0


def _mount(*args: str) -> bool:
    result = subprocess.run(["mount", *args], capture_output=True, check=False)
    return result.returncode == 0


class Volume:
    """A folder (a tmpfs of ``size`` when running as root)."""

    def __init__(self, path: str, size: str) -> None:
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.mounted = IS_ROOT and _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", path)

    def make_read_only(self) -> None:
        """Make every folder and file below ``path`` read-only (skips if impossible)."""
        if self.mounted:
            if not _mount("-o", "remount,ro", self.path):
                pytest.skip("cannot remount the tmpfs read-only")
            return
        if IS_ROOT:
            pytest.skip("running as root without mount(8): chmod would not restrict writes")
        for folder, _, files in os.walk(self.path):
            for name in files:
                os.chmod(os.path.join(folder, name), stat.S_IRUSR)
            os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)

    def make_writable(self) -> None:
        if self.mounted:
            _mount("-o", "remount,rw", self.path)
            return
        for folder, _, _ in os.walk(self.path):
            os.chmod(folder, stat.S_IRWXU)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True, check=False)
        else:
            self.make_writable()


@contextmanager
def volume(path: str, size: str = "8m") -> Iterator[Volume]:
    """A :class:`Volume` at ``path``, unmounted (or made writable again) afterwards."""
    vol = Volume(path, size)
    try:
        yield vol
    finally:
        vol.close()
