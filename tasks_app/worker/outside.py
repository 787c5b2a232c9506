"""A record for each task that reaches the site's worker without one: sent by another service with
plain Celery (`app.send_task("tasks_app.tasks.echo", ["x"], queue="helloworld.default")`) or by
Celery's own CLI (`celery call`).

The site records what it sends before the message leaves (services, beat's runs); such a task had
only the worker's result row, so the tasks list, its filters and the API did not find it, retry
said it was not known, its arguments showed as the result table's Python reprs, and /metrics
counted it in one gauge and not the other. Here the worker, just before the task runs, records it
as the site would have: its catalog name, its JSON arguments as the message carried them, the
queue it came from, and no owner (staff see it).

What the site cannot know: who sent it, and when, unless the message says so. Messages sent
through the site's app carry `sent_at` (signals.stamp_sent_at); plain Celery messages carry no
send time, so such a record's enqueued time is when the worker took the task, never later than its
start (README: Tasks sent from elsewhere).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery.signals import task_prerun
from django.db import DatabaseError
from django.utils import timezone

from tasks_app import catalog
from tasks_app.broker.queues import RECORDED_HEADER, SENT_AT_HEADER
from tasks_app.models import SentFrom, TaskRecord

logger = logging.getLogger(__name__)


def _sent_at(request, now: datetime) -> datetime:
    """When the message says it was sent, if it says so believably (not after now); else now."""
    stamped = getattr(request, SENT_AT_HEADER, None)
    if isinstance(stamped, int | float) and not isinstance(stamped, bool):
        sent = datetime.fromtimestamp(stamped, tz=UTC)
        if sent <= now:
            return sent
    return now


@task_prerun.connect
def record_if_unknown(task_id=None, task=None, args=None, kwargs=None, **extra) -> None:
    entry = catalog.by_task_name(getattr(task, "name", ""))
    if entry is None or not task_id:
        return
    request = task.request
    if getattr(request, RECORDED_HEADER, None) or (request.headers or {}).get(RECORDED_HEADER):
        return  # the site recorded it before sending it: no read a task (the usual case)
    try:
        if TaskRecord.objects.filter(task_id=task_id).exists():
            return  # the site sent it without saying so (sent before this header existed)
        now = timezone.now()
        queue = (request.delivery_info or {}).get("routing_key") or ""
        # ON CONFLICT DO NOTHING: a bulk send's records commit together with its messages, so a fast
        # worker may get here first; its insert then waits for that commit and leaves the site's row.
        TaskRecord.objects.bulk_create(
            [
                TaskRecord(
                    task_id=task_id,
                    task_name=entry.name,
                    args=list(args or ()),
                    kwargs=dict(kwargs or {}),
                    queue=queue,
                    sent_from=SentFrom.OUTSIDE,
                )
            ],
            ignore_conflicts=True,
        )
        # created_at is auto_now_add: the send time the message gives, or when the worker took it.
        TaskRecord.objects.filter(task_id=task_id, created_at__gt=_sent_at(request, now)).update(
            created_at=_sent_at(request, now)
        )
    except DatabaseError:
        # Never stop the task for want of a record: its result row still tells its outcome.
        logger.warning("Could not record task %s sent from outside the site", task_id, exc_info=True)
