"""STARTED, written only for a task still running a moment after it started.

With `task_track_started` the worker writes a STARTED row before every task, then the result:
two durable writes for a task that takes a millisecond, and the first is never seen by anyone.
Here the worker process holds each STARTED back for TASK_STARTED_DELAY seconds (settings): a
task that has written a later state by then (PROGRESS, SUCCESS, FAILURE, RETRY) never writes
STARTED, and its result row still gets its start time (`settle`); one still running gets its
STARTED from a thread of this process, as late as the delay. A task that runs for a second or
more shows STARTED while it runs, as before.

Order: a held STARTED is written with the lock held, and a later state takes the lock first
(`settle`), so a STARTED can never land after the state that follows it. Across processes (the
worker's main process marking a terminated task REVOKED) the write itself refuses to replace a
finished state (managers.ResultWriter).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.db import connection

logger = logging.getLogger(__name__)


class DeferredStarts:
    """The STARTED writes this process holds back, by task id, and the thread that makes them."""

    def __init__(self):
        self._reset()
        # A prefork child starts with a copy of its parent's: no thread, and a lock another thread may have held.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._held: dict[str, tuple[float, datetime, Callable[[], object]]] = {}
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread next looks by itself (time.monotonic())

    def hold(self, task_id: str, started_at: datetime, delay: float, write: Callable[[], object]) -> None:
        """Call `write` (the STARTED write) in `delay` seconds, unless `settle(task_id)` comes first."""
        with self._lock:
            due_at = time.monotonic() + delay
            # The thread sleeps until the soonest one due, and keeps that time when the task it
            # was for settles first: wake it only if this one is due sooner. With one delay for all,
            # that is once per idle spell, not once per task (a wake-up per task: 5% of each pool
            # process's py-spy samples, in Condition.notify).
            wake = due_at < self._wakes_at
            self._held[task_id] = (due_at, started_at, write)
            if self._thread is None:
                self._thread = _start_with_signals_blocked(self._run, name="deferred-started")
            if wake:
                self._wakes_at = due_at  # at the latest: the thread looks again as soon as it runs
                self._changed.notify()

    def settle(self, task_id: str) -> datetime | None:
        """A later state of `task_id` is about to be written. Returns when the task started if its
        STARTED was held and now never will be written, else None (written already, or never held).
        Waits while a STARTED is being written, so the later state lands after it."""
        with self._lock:
            held = self._held.pop(task_id, None)
        return held[1] if held else None

    def _run(self) -> None:
        while True:
            with self._lock:
                due = self._wait_for_due()
                for task_id in due:
                    _due_at, _started_at, write = self._held.pop(task_id)
                    try:
                        write()
                    except Exception:
                        # The result write retries outages itself; what is left is lost, and harmless: the
                        # task's final state follows.
                        logger.warning("Could not write STARTED for task %s", task_id, exc_info=True)
            # Rare, so no connection is kept open for it (each worker process would hold a second one).
            connection.close()

    def _wait_for_due(self) -> list[str]:
        while True:
            now = time.monotonic()
            due = [task_id for task_id, (due_at, _s, _w) in self._held.items() if due_at <= now]
            if due:
                return due
            soonest = min((due_at for due_at, _s, _w in self._held.values()), default=math.inf)
            if soonest == math.inf and self._wakes_at > now:
                soonest = self._wakes_at  # all settled: keep the time planned, so the next hold need not wake it
            self._wakes_at = soonest
            self._changed.wait(None if soonest == math.inf else soonest - now)


def _start_with_signals_blocked(target: Callable[[], object], name: str) -> threading.Thread:
    """A daemon thread that takes no signal (a thread inherits its creator's signal mask).

    The kernel hands a signal sent to a process to any of its threads that does not block it. A
    pool process ended by the pool's termination signal reports its death on the queue that every
    pool process writes to, holding that queue's lock with the signal blocked in its main thread,
    because the pool answers the report with the same signal (billiard's Worker._do_exit and
    on_death). Taken by this thread instead, that answer killed the process with the lock held,
    and the worker's next stop hung for good (seen with the embedded broker's threaded pool).
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return thread


deferred_starts = DeferredStarts()
