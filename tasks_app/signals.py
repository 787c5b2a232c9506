"""Signal handlers: recording the runs that beat sends, stamping each message with its send time,
and keeping TaskRecord.state in step with the worker's result rows.

TaskRecord.state mirrors the worker's state (django-celery-results' TaskResult.status) so that the
tasks list filters by state with an index on the site's own table: filtering through a join on
the result table made PostgreSQL walk the whole list whenever the state asked for was rare among
recent tasks. The result table stays the truth: status pages and the list's state column read it.
"""

import logging
import time

from celery.signals import before_task_publish
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_celery_results.models import TaskResult

from tasks_app import catalog
from tasks_app.broker import queues
from tasks_app.models import SentFrom, TaskRecord

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
                "sent_from": SentFrom.BEAT,
            },
        )
    except DatabaseError:
        # Never stop beat from sending: the run still gets its result row from the worker.
        logger.warning("Could not record periodic run %s of %s", headers["id"], periodic_task_name, exc_info=True)
    else:
        headers[queues.RECORDED_HEADER] = True


@before_task_publish.connect
def stamp_sent_at(headers=None, **kwargs):
    """Stamp every task message (beat's included) with when it was sent: the Redis transport
    keeps no time of its own, and the dashboard tells the oldest waiting task's age from this."""
    if headers is not None:
        headers.setdefault(queues.SENT_AT_HEADER, time.time())


@receiver(post_save, sender=TaskResult)
def mirror_state(sender, instance, **kwargs):
    """A state written with TaskResult.save() (services.revoke, a purge). Workers write through
    managers.ResultWriter, which mirrors the state in the same transaction."""
    TaskRecord.mirror_state(instance.task_id, instance.status)
