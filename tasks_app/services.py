"""Enqueue (and later schedule, retry, revoke): the one place the form, the API and the CLI call."""

from __future__ import annotations

from celery import uuid
from django.db import transaction
from kombu.exceptions import OperationalError

from tasks_app import catalog
from tasks_app.models import TaskRecord


class BrokerUnavailable(Exception):
    """The broker did not take the task; nothing was recorded."""


def enqueue(task, args=None, kwargs=None, queue=None) -> TaskRecord:
    """Validate, record and send one task; returns the record, whose task_id is the Celery id.

    The record and the publish share one transaction: if the broker refuses the message the
    record is rolled back, so no page ever claims a task is queued that no broker holds.
    """
    entry = catalog.get(task)
    args, kwargs = entry.bind(args, kwargs)
    queue_name = catalog.queue_name(queue or entry.queue)
    # delay_on_commit would return no id; the status page needs it now, so make it here.
    task_id = uuid()
    try:
        with transaction.atomic():
            record = TaskRecord.objects.create(
                task_id=task_id, task_name=entry.name, args=args, kwargs=kwargs, queue=queue_name
            )
            entry.task.apply_async(args, kwargs, task_id=task_id, queue=queue_name)
    except OperationalError as exc:
        raise BrokerUnavailable(f"The task broker is not reachable, so the task was not queued: {exc}") from exc
    return record
