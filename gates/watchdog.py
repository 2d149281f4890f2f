"""One thread per process that fires the deadlines of git processes.

Every git command has a wall-clock time-out, and a fetch has a size watch
besides. A ``threading.Timer`` per command starts a thread each time, and
starting a thread waits until the new thread has been scheduled: about 1-1.5
ms on the benchmark machine, seven times in a warm check run (docs/
performance.md). Here one daemon thread keeps every pending deadline in a heap
and sleeps until the earliest; ``call_later`` only pushes an entry and wakes
it. The thread is started on first use, and again in a process forked after
that (a forked child has no copy of its parent's threads).

Callbacks run on the watchdog thread, one after the other, so they must be
short (kill a process group, test a folder's size); an exception in one is
logged and does not stop the others.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Deadline:
    """A pending call; ``cancel()`` before it fires and it never runs."""

    __slots__ = ("cancelled", "function", "when")

    def __init__(self, when: float, function: Callable[[], None]):
        self.when = when
        self.function = function
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._pid = 0

    def call_later(self, delay_s: float, function: Callable[[], None]) -> Deadline:
        deadline = Deadline(time.monotonic() + delay_s, function)
        with self._wake:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._start()
            if len(self._heap) > 256:  # long time-outs, mostly cancelled: drop those
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.when, next(self._order), deadline))
            if self._heap[0][2] is deadline:  # earlier than what the thread sleeps towards
                self._wake.notify()
        return deadline

    def _start(self) -> None:
        """(Re)start the thread; in a forked child the parent's heap is not ours."""
        if self._pid != os.getpid():
            self._heap = []
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="git-watchdog", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                deadline = heapq.heappop(self._heap)[2]
            if deadline.cancelled:
                continue
            try:
                deadline.function()
            except Exception:  # one failing callback must not stop the others
                logger.exception("watchdog callback failed")


_watchdog = _Watchdog()


def call_later(delay_s: float, function: Callable[[], None]) -> Deadline:
    """Run ``function`` on the watchdog thread after ``delay_s`` unless cancelled first."""
    return _watchdog.call_later(delay_s, function)
