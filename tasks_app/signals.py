"""Worker process hooks."""

import signal

from celery.signals import worker_process_init


@worker_process_init.connect
def leave_shutdown_to_the_parent(**kwargs):
    """Pool processes ignore SIGTERM; the worker's main process decides how they stop.

    honcho (`make run`, one-dyno mode) signals each process's whole group, and the platform
    signals every process in a dyno, so a prefork child gets SIGTERM at the same moment as
    its parent. Celery resets that signal to its default in children, which kills the running
    task at once and can wedge the parent's warm shutdown (celery/celery#4795). Ignoring it
    lets the parent's warm shutdown run as designed: stop taking tasks, let the children
    finish theirs, close the pool. A cold shutdown still ends them (the platform's SIGKILL),
    and acks_late puts their unfinished tasks back on the broker.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
