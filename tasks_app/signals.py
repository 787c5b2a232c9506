"""Celery signal handlers: worker process set-up, and recording the runs that beat sends."""

import logging
import signal

from celery.signals import before_task_publish, worker_process_init
from django.db import DatabaseError

from tasks_app import catalog
from tasks_app.models import TaskRecord

logger = logging.getLogger(__name__)


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


@before_task_publish.connect
def record_periodic_run(sender=None, body=None, headers=None, routing_key=None, **kwargs):
    """Beat publishes periodic runs itself: record each like any other task, so its status
    page says QUEUED from the start and its periodic task lists it. Runs sent through
    `services` are recorded there already (same id, so nothing is recorded twice)."""
    headers = headers or {}
    periodic_task_name = headers.get("periodic_task_name")
    entry = catalog.by_task_name(sender) if periodic_task_name else None
    if entry is None:
        return
    args, task_kwargs, _embed = body  # task message protocol 2
    try:
        TaskRecord.objects.get_or_create(
            task_id=headers["id"],
            defaults={
                "task_name": entry.name,
                "args": list(args),
                "kwargs": dict(task_kwargs),
                "queue": routing_key or "",
                "periodic_task_name": periodic_task_name,
            },
        )
    except DatabaseError:
        # Never stop beat from sending: the run still gets its result row from the worker.
        logger.warning("Could not record periodic run %s of %s", headers["id"], periodic_task_name, exc_info=True)
