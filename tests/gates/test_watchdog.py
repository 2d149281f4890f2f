"""The one thread that fires git time-outs (``gates.watchdog``)."""

from __future__ import annotations

import os
import threading

from gates import watchdog

WAIT_S = 30  # generous: the calls below are due at once or in milliseconds


def test_deadlines_fire_in_order_and_cancelled_ones_never(caplog):
    fired: list[str] = []
    done = threading.Event()

    def note(name: str):
        return lambda: fired.append(name)

    def broken():
        raise RuntimeError("a failing callback")

    watchdog.call_later(0.05, note("second"))
    watchdog.call_later(0.0, note("first"))
    watchdog.call_later(0.02, broken)  # logged; the others still fire
    cancelled = watchdog.call_later(0.03, note("cancelled"))
    cancelled.cancel()
    watchdog.call_later(0.08, done.set)
    assert done.wait(WAIT_S)
    assert fired == ["first", "second"]
    assert "watchdog callback failed" in caplog.text


def test_many_long_deadlines_cancelled_do_not_pile_up():
    for _ in range(1000):
        watchdog.call_later(3600, lambda: None).cancel()
    assert len(watchdog._watchdog._heap) <= 257


def test_a_forked_child_gets_a_watchdog_of_its_own():
    ready = threading.Event()
    watchdog.call_later(0, ready.set)  # the parent's thread runs
    assert ready.wait(WAIT_S)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no copy of the parent's thread exists here
        try:
            fired = threading.Event()
            watchdog.call_later(0, fired.set)
            os.write(write_end, b"1" if fired.wait(WAIT_S) else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        assert os.read(read_end, 1) == b"1"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
