"""Beat stops between ticks, never in the middle of one.

`celery beat` handles SIGTERM and SIGINT by syncing the schedule and raising SystemExit from
the signal handler, wherever the main thread happens to be. When that is inside a database
write (beat records each run it sends, in a transaction), Django's rollback on the way out
meets the connection the sync just closed; the SystemExit turns into a ProgrammingError,
beat's send loop logs it as a failed send, and beat runs on until the platform SIGKILLs it.

Here the signal only asks beat to stop; the scheduler's next tick (at most a couple of
seconds later) raises SystemExit from a safe place, and Celery's own `finally` syncs.
"""

import signal
import threading

_stop_requested = threading.Event()


def _request_stop(signum, frame):
    _stop_requested.set()


def install() -> None:
    """Replace beat's stop signals' handlers; only possible, and only needed, in the main thread
    (`celery beat`, or the beat process a worker started with --beat)."""
    if threading.current_thread() is threading.main_thread():
        _stop_requested.clear()
        signal.signal(signal.SIGTERM, _request_stop)
        signal.signal(signal.SIGINT, _request_stop)


def stop_if_requested() -> None:
    if _stop_requested.is_set():
        raise SystemExit("beat stopped by a signal")
