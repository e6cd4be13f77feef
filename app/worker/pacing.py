"""Accept pacing: a worker that just took a burst of connections leaves the next ones to the
other workers for a moment.

Every worker is woken for a new connection, and the first to run after a burst often takes
them all, then serves every client on one process while the others idle. A worker that
accepted as many connections as it has threads within :data:`ACCEPT_WINDOW`, while it holds
at least as many, stops accepting for :data:`ACCEPT_PAUSE`: long enough for a woken worker to
be scheduled on a busy machine (with a pause as short as the window, a worker busy serving
the burst it took resumed first and took all 16 connections of a new wrk run, halving the
rate). Short-lived connections (one request each) close before they add up, so they are
never paced.
"""

from __future__ import annotations

import collections
import math

ACCEPT_WINDOW = 0.005  # seconds
ACCEPT_PAUSE = 0.025  # seconds


class AcceptPacer:
    """One worker's recent accepts, and until when it leaves new connections to the others.

    :param threads: the worker's request threads.
    """

    def __init__(
        self, threads: int, window: float = ACCEPT_WINDOW, pause: float = ACCEPT_PAUSE
    ) -> None:
        self.threads = threads
        self.window = window
        self.pause = pause
        self.recent: collections.deque[float] = collections.deque()
        self.paused_until = -math.inf
        """Until when accepting is paused (``time.monotonic``)."""

    def accepted(self, held: int, now: float) -> bool:
        """Record an accept at ``now``, the worker then holding ``held`` connections;
        whether it should stop accepting (until :attr:`paused_until`)."""
        recent = self.recent
        recent.append(now)
        while recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.threads and held >= self.threads:
            self.paused_until = now + self.pause
            return True
        return False

    def paused(self, now: float) -> bool:
        """Whether accepting is paused at ``now``."""
        return now < self.paused_until
