"""Acting on a task already sent: retry it (a new task with its exact input) or revoke it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from celery import current_app, states
from django.conf import settings
from django.utils import timezone

from tasks_app import catalog, validation
from tasks_app.broker import control
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.services.sending import send
from tasks_app.states import FINISHED_STATES, STATES, WAITING_STATES
from tasks_app.validation import TaskInputError


class TaskNotFound(TaskInputError):
    """No task with this id is known to the site (callers answer 404)."""

    def __init__(self, task_id: str):
        super().__init__(f"No task with id {task_id!r} is known to this site.", field="id")


class TaskStateConflict(TaskInputError):
    """The task is in a state that does not allow the action (callers answer 409)."""

    def __init__(self, message: str):
        super().__init__(message, field="id")


RETRYABLE_STATES = FINISHED_STATES  # SUCCESS, FAILURE, REVOKED


def retryable_in_words() -> str:
    """The states a task may be retried in, as messages and pages name them: `SUCCESS, FAILURE or REVOKED`."""
    return validation.in_words(state for state in STATES if state in RETRYABLE_STATES)


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


def retry(task_id, owner=None, sent_from: str = "") -> TaskRecord:
    """Run a finished task again as a new task: the exact JSON args, kwargs and queue it was sent
    with (the site's record, not the worker's repr of them), linked to it by `retry_of`. `owner`
    (who asked) owns the new task, and its rate limit counts it."""
    original = find_record(task_id)
    state = status.states([original.task_id])[original.task_id]
    if state not in RETRYABLE_STATES:
        raise TaskStateConflict(
            f"Task {original.task_id} is {state}; only a finished task ({retryable_in_words()}) can be retried."
        )
    entry = catalog.get(original.task_name)
    args, kwargs = entry.bind(original.args, original.kwargs)
    queue_name = original.queue or settings.CELERY_TASK_DEFAULT_QUEUE
    return send(entry, args, kwargs, queue_name, owner=owner, retry_of=original, sent_from=sent_from)


@dataclass(frozen=True)
class Revocation:
    task_id: str
    previous_state: str
    terminate: bool
    workers_told: bool  # False when the broker was unreachable: the database mark still holds

    @property
    def state(self) -> str:
        """The task's state now: REVOKED, or, for a running task not terminated, the state it runs
        on in (its revocation only requested: this run finishes)."""
        return self.previous_state if self.requested_only else states.REVOKED

    @property
    def requested_only(self) -> bool:
        return not self.terminate and self.previous_state not in WAITING_STATES

    @property
    def summary(self) -> str:
        """What happened, in one sentence for a page, the CLI or the API."""
        if self.terminate:
            return "Revoked and terminated."
        if self.requested_only:
            return (
                "Revocation requested: this run will finish, and the task will not run again. "
                "To stop it now, revoke it again with terminate."
            )
        return "Revoked: it will not run."


def revoke(task_id, terminate=False) -> Revocation:
    """Revoke a queued or running task, durably.

    A waiting task (queued, or waiting to retry) is marked REVOKED in the result table first: the
    site's tasks check it before they run (tasks_app.worker.revocation), so one revoked while no
    worker is up never runs. A running task with `terminate` is marked REVOKED too, and its pool
    process is killed with settings.TASK_TERMINATE_SIGNAL. A running task without `terminate`
    cannot be stopped politely: it keeps its state and finishes this run, whose real outcome its
    page shows; only the request is recorded (TaskRecord.revoke_requested_at), which the same check
    reads, so it never runs again (after a worker crash, say). Then the live workers are told.
    The threads pool (the embedded test worker) cannot kill a thread: there `terminate` does nothing.
    """
    if not isinstance(terminate, bool):
        raise TaskInputError("'terminate' must be true or false.", field="terminate")
    record = find_record(task_id)
    state = status.states([record.task_id])[record.task_id]
    if state in FINISHED_STATES:
        raise TaskStateConflict(
            f"Task {record.task_id} is already {state}; only a queued or running task can be revoked."
        )
    revocation = Revocation(record.task_id, state, terminate, workers_told=False)
    if revocation.requested_only:
        TaskRecord.objects.filter(pk=record.pk).update(revoke_requested_at=timezone.now())
    else:
        current_app.backend.mark_as_revoked(record.task_id, reason="revoked on request")
    told = control.revoke(record.task_id, terminate=terminate, signal=settings.TASK_TERMINATE_SIGNAL)
    return replace(revocation, workers_told=told)
