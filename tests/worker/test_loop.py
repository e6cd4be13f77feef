"""The worker's main loop wakes up only when it has something to do: its heartbeat is
throttled, and deadlines that were replaced never time its ``epoll`` wait."""

from __future__ import annotations

import heapq
import selectors
import socket
import time

from app.worker.buffering import HEARTBEAT_SECONDS
from app.worker.buffering import BufferingWorker
from app.worker.pacing import ACCEPT_PAUSE
from app.worker.pacing import ACCEPT_WINDOW
from app.worker.pacing import AcceptPacer


class Heartbeats:
    """Stands in for gunicorn's worker temporary file."""

    def __init__(self) -> None:
        self.count = 0

    def notify(self) -> None:
        self.count += 1


class Conn:
    """A connection as far as deadlines go (hashed by identity, like the worker's)."""

    def __init__(self, timer: int) -> None:
        self.timer = timer


def bare_worker(timeout: float) -> BufferingWorker:
    worker = BufferingWorker.__new__(BufferingWorker)  # no gunicorn arbiter needed
    worker.timeout = timeout
    worker.tmp = Heartbeats()
    return worker


def test_the_heartbeat_is_sent_once_per_interval() -> None:
    worker = bare_worker(timeout=60)
    for _ in range(1000):
        worker.notify()
    assert worker.tmp.count == 1
    worker.last_beat -= HEARTBEAT_SECONDS
    worker.notify()
    assert worker.tmp.count == 2


def test_a_short_gunicorn_timeout_gets_more_frequent_heartbeats() -> None:
    worker = bare_worker(timeout=0.2)
    worker.notify()
    time.sleep(0.06)  # a quarter of the timeout
    worker.notify()
    assert worker.tmp.count == 2


def test_replaced_deadlines_do_not_time_the_wait() -> None:
    worker = bare_worker(timeout=60)
    live, gone = Conn(timer=3), Conn(timer=1)
    worker.conns = {live}  # type: ignore[assignment]
    now = time.monotonic()
    worker.timers = []
    for entry in ((now + 1, 1, gone), (now + 2, 2, live), (now + 30, 3, live)):
        heapq.heappush(worker.timers, entry)  # type: ignore[arg-type]
    worker._drop_stale_timers()
    assert worker.timers[0][1] == 3


def test_a_burst_of_accepts_pauses_accepting_for_the_other_workers() -> None:
    worker = bare_worker(timeout=60)
    worker.pacer = AcceptPacer(threads=2)
    listener = socket.create_server(("127.0.0.1", 0))
    worker.sockets = [listener]
    worker.poller = selectors.DefaultSelector()
    worker._accepting = False
    worker.nr_conns = 2
    try:
        worker.set_accept_enabled(True)
        worker._pace_accepts()  # one connection: still accepting
        assert worker._accepting and worker.poller.get_map()
        worker._pace_accepts()  # as many as it has threads, at once: the rest is left
        assert not worker._accepting and not worker.poller.get_map()
        worker.set_accept_enabled(True)  # what gunicorn's loop asks on its next turn
        assert not worker._accepting
        time.sleep(ACCEPT_WINDOW)  # paused beyond the window the burst was counted in
        worker.set_accept_enabled(True)
        assert not worker._accepting
        time.sleep(ACCEPT_PAUSE)
        worker.set_accept_enabled(True)
        assert worker._accepting and worker.poller.get_map()
        time.sleep(ACCEPT_WINDOW)
        worker._pace_accepts()  # accepts spread over time never pause
        assert worker._accepting
        worker.nr_conns = 1  # connections that closed as fast as they came
        for _ in range(5):
            worker._pace_accepts()
        assert worker._accepting
    finally:
        worker.poller.close()
        listener.close()
