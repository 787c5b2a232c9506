"""Acting on a task already sent: retry it (a new task with its exact input) or revoke it."""

from __future__ import annotations

from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction

from tasks_app import catalog, status, validation
from tasks_app.broker import control
from tasks_app.models import TaskRecord
from tasks_app.services.sending import send
from tasks_app.validation import TaskInputError


class TaskNotFound(TaskInputError):
    """No task with this id is known to the site (callers answer 404)."""

    def __init__(self, task_id: str):
        super().__init__(f"No task with id {task_id!r} is known to this site.", field="id")


class TaskStateConflict(TaskInputError):
    """The task is in a state that does not allow the action (callers answer 409)."""

    def __init__(self, message: str):
        super().__init__(message, field="id")


RETRYABLE_STATES = status.FINISHED_STATES  # SUCCESS, FAILURE, REVOKED


def find_record(task_id) -> TaskRecord:
    """The site's record of a task, or TaskNotFound (also for ids no task could have)."""
    if not isinstance(task_id, str):
        raise TaskNotFound(validation.short_repr(task_id))
    try:
        validation.check_text(task_id, "id", "The task id", max_chars=255)
    except TaskInputError:
        raise TaskNotFound(task_id) from None
    record = TaskRecord.objects.filter(task_id=task_id).first()
    if record is None:
        raise TaskNotFound(task_id)
    return record


def retry(task_id, owner=None) -> TaskRecord:
    """Run a finished task again as a new task: the exact JSON args, kwargs and queue it was sent
    with (the site's record, not the worker's repr of them), linked to it by `retry_of`. `owner`
    (who asked) owns the new task, and its rate limit counts it."""
    original = find_record(task_id)
    state = status.states([original.task_id])[original.task_id]
    if state not in RETRYABLE_STATES:
        raise TaskStateConflict(
            f"Task {original.task_id} is {state}; only a finished task (SUCCESS, FAILURE or REVOKED) can be retried."
        )
    entry = catalog.get(original.task_name)
    args, kwargs = entry.bind(original.args, original.kwargs)
    queue_name = original.queue or settings.CELERY_TASK_DEFAULT_QUEUE
    with transaction.atomic():
        record = send(entry, args, kwargs, queue_name, owner=owner)
        record.retry_of = original
        record.save(update_fields=["retry_of"])
    return record


@dataclass(frozen=True)
class Revocation:
    task_id: str
    previous_state: str
    terminate: bool
    workers_told: bool  # False when the broker was unreachable: the database mark still holds


def revoke(task_id, terminate=False) -> Revocation:
    """Revoke a queued or running task, durably.

    The REVOKED result row is written first: the site's tasks check it before they run (see
    tasks_app.worker.revocation), so a task revoked while no worker is up never runs. Then the workers
    that are up are told, so that one holding the task (prefetched, or waiting on a retry
    countdown) drops it, and with `terminate` the pool process running it is killed with
    settings.TASK_TERMINATE_SIGNAL. A running task that is not terminated finishes its current
    run (Celery cannot stop it politely), and its outcome replaces REVOKED; it is never run again.
    The threads pool (the embedded test worker) cannot kill a thread: there `terminate` does nothing.
    """
    if not isinstance(terminate, bool):
        raise TaskInputError("'terminate' must be true or false.", field="terminate")
    record = find_record(task_id)
    state = status.states([record.task_id])[record.task_id]
    if state in status.FINISHED_STATES:
        raise TaskStateConflict(
            f"Task {record.task_id} is already {state}; only a queued or running task can be revoked."
        )
    current_app.backend.mark_as_revoked(record.task_id, reason="revoked on request")
    told = control.revoke(record.task_id, terminate=terminate, signal=settings.TASK_TERMINATE_SIGNAL)
    return Revocation(record.task_id, state, terminate, workers_told=told)
