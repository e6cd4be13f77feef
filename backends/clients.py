"""SDK clients kept per process or per process and thread, made again after a fork.

No lock guards the creation: a lock held by another thread at fork time would deadlock
the child, and a spare client made by a racing thread is harmless.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic
from typing import TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """One client per process, shared by its threads (for thread-safe SDK clients)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._slot: tuple[int, T] | None = None

    def get(self) -> T:
        """This process's client, made on first use."""
        pid, slot = os.getpid(), self._slot
        if slot is None or slot[0] != pid:
            slot = (pid, self._make())
            self._slot = slot
        return slot[1]


class PerThread(Generic[T]):
    """One client per process and thread (for SDK clients that are not thread-safe)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._local = threading.local()

    def get(self) -> T:
        """This thread's client, made on first use in this process."""
        local, pid = self._local, os.getpid()
        if getattr(local, "pid", None) != pid:
            local.client, local.pid = self._make(), pid
        client: T = local.client
        return client
