"""The thread that writes held-back STARTED states (worker.started) is woken once per idle spell,
not once per task, and still writes every STARTED that is due."""

import re
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tasks_app.worker.started import DeferredStarts
from tests.support.waiting import wait_for


class CountingCondition(threading.Condition):
    notified = 0

    def notify(self, n=1):
        CountingCondition.notified += 1
        super().notify(n)


def starts() -> DeferredStarts:
    deferred = DeferredStarts()
    deferred._changed = CountingCondition(deferred._lock)
    CountingCondition.notified = 0
    return deferred


def test_quick_tasks_in_a_row_wake_the_thread_once():
    deferred, written = starts(), []
    now = datetime.now(UTC)
    for number in range(200):  # each settles before the next is held, as at prefetch 1
        deferred.hold(f"t-{number}", now, 0.5, lambda n=number: written.append(n))
        assert deferred.settle(f"t-{number}") == now
    assert CountingCondition.notified == 1
    time.sleep(0.7)  # past the first one's due time: the thread looks, finds nothing due
    assert written == []


def test_a_started_held_after_a_settled_one_is_written_when_due():
    deferred, written = starts(), []
    now = datetime.now(UTC)
    deferred.hold("quick", now, 0.3, lambda: written.append("quick"))
    deferred.settle("quick")  # the thread still sleeps until quick's due time
    time.sleep(0.1)
    held_at = time.monotonic()
    deferred.hold("slow", now, 0.3, lambda: written.append(("slow", time.monotonic() - held_at)))
    assert CountingCondition.notified == 1  # not woken for slow: it wakes for quick's time first
    wait_for(lambda: written, 5, message="the held STARTED")
    [(name, after)] = written
    assert name == "slow"
    assert 0.3 <= after < 1.0


def test_a_sooner_one_still_wakes_the_thread():
    deferred, written = starts(), []
    now = datetime.now(UTC)
    deferred.hold("later", now, 30, lambda: written.append("later"))
    deferred.hold("sooner", now, 0.1, lambda: written.append("sooner"))
    assert CountingCondition.notified == 2
    wait_for(lambda: written, 5, message="the sooner STARTED")
    assert written == ["sooner"]
    assert deferred.settle("later") == now


def blocked_signals(thread_id: int) -> int:
    status = Path(f"/proc/self/task/{thread_id}/status").read_text()
    return int(re.search(r"^SigBlk:\s*([0-9a-f]+)$", status, re.MULTILINE).group(1), 16)


def test_the_writer_thread_leaves_every_signal_to_the_main_thread():
    """A pool process's termination signal must reach its main thread, which blocks it while it
    holds the pool's shared queue lock: a helper thread that took it would die with the lock held."""
    deferred = starts()
    before = blocked_signals(threading.get_native_id())
    deferred.hold("t", datetime.now(UTC), 60, lambda: None)
    thread_blocks = blocked_signals(deferred._thread.native_id)
    for sig in (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        assert thread_blocks & (1 << (sig - 1)), sig.name
    assert blocked_signals(threading.get_native_id()) == before  # the caller's mask is restored
