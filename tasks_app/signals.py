"""Celery signal handlers: recording the runs that beat sends, stamping each message with its send time."""

import logging
import time

from celery.signals import before_task_publish
from django.db import DatabaseError

from tasks_app import catalog, queues
from tasks_app.models import TaskRecord

logger = logging.getLogger(__name__)


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


@before_task_publish.connect
def stamp_sent_at(headers=None, **kwargs):
    """Stamp every task message (beat's included) with when it was sent: the Redis transport
    keeps no time of its own, and the dashboard tells the oldest waiting task's age from this."""
    if headers is not None:
        headers.setdefault(queues.SENT_AT_HEADER, time.time())
