"""Waiting for something to happen, with a deadline that says what never did."""

from __future__ import annotations

import time


class TimedOut(AssertionError):
    """What was waited for never happened (an AssertionError, so that pytest shows a failure)."""


def wait_for(predicate, timeout: float = 20.0, *, interval: float = 0.1, message: str = "condition", process=None):
    """Poll until `predicate()` returns something truthy and return it; raise TimedOut past `timeout`.

    With `process` (a support.processes.Process), stop waiting as soon as it has exited, and
    either way end the message with the tail of its log."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and not process.alive():
            raise TimedOut(f"{process.name} exited while waiting for {message}:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            tail = f":\n{process.log_tail()}" if process is not None else ""
            raise TimedOut(f"Timed out after {timeout:g}s waiting for {message}{tail}")
        time.sleep(interval)
