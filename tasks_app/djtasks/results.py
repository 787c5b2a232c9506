"""A django.tasks TaskResult read from the site's records, in any process (web, shell, worker).

Three rows by unique key, each one index lookup whatever the tables hold: the site's TaskRecord
(it exists from the moment of sending: args, queue, enqueued_at), django-celery-results' result
row (state, return value, start and end) and TaskAttempts (one worker id per run and every error;
tasks_app.djtasks.runner writes it).
"""

from __future__ import annotations

import json

from celery import states as celery_states
from django.utils.module_loading import import_string
from django_celery_results.models import TaskResult as ResultRow

from tasks_app.djtasks import compat
from tasks_app.models import TaskAttempts, TaskRecord
from tasks_app.states import PROGRESS, QUEUED

Status = compat.TaskResultStatus

# Celery's states (and the site's) as django.tasks names them. RETRY is READY: "ready to be
# executed again". REVOKED never ran, or was stopped: FAILED ("unable to start").
STATUS_BY_STATE = {
    QUEUED: Status.READY,  # the site's: sent, no worker has reported yet
    celery_states.PENDING: Status.READY,
    celery_states.RECEIVED: Status.READY,
    celery_states.RETRY: Status.READY,
    celery_states.STARTED: Status.RUNNING,
    PROGRESS: Status.RUNNING,  # the site's: a running task's report of how far it got
    celery_states.SUCCESS: Status.SUCCESSFUL,
    celery_states.FAILURE: Status.FAILED,
    celery_states.REVOKED: Status.FAILED,
    celery_states.REJECTED: Status.FAILED,
}


class NotADjangoTask(TypeError):
    """A name that is not a django.tasks Task's."""


def load(path: str) -> compat.Task:
    """The Task at `path` (`package.module.function`), as `@task` left it in its module."""
    found = import_string(path)
    if not isinstance(found, compat.Task):
        raise NotADjangoTask(f"{path} is not a django.tasks Task (decorate the function with @task).")
    return found


def _load(record: TaskRecord, module_path_of) -> compat.Task:
    try:
        return load(module_path_of(record.task_name))
    except (ImportError, NotADjangoTask):
        raise compat.TaskResultDoesNotExist(f"Task {record.task_id} is not a django.tasks task.") from None


def _errors(attempts: TaskAttempts | None, row: ResultRow | None) -> list:
    if attempts is not None and attempts.errors:
        return [compat.TaskError(**error) for error in attempts.errors]
    if row is not None and row.status == celery_states.FAILURE and row.result:
        # Failed before its run recorded anything (a task that would not import, say).
        payload = json.loads(row.result)
        if isinstance(payload, dict) and "exc_type" in payload:
            path = f"{payload.get('exc_module') or 'builtins'}.{payload['exc_type']}"
            return [compat.TaskError(exception_class_path=path, traceback=row.traceback or "")]
    return []


def _status(row: ResultRow | None, attempts: TaskAttempts | None) -> compat.TaskResultStatus:
    state = row.status if row is not None else QUEUED
    status = STATUS_BY_STATE.get(state, Status.READY)
    if status != Status.READY or attempts is None:
        return status
    # A run began: STARTED is written only after TASK_STARTED_DELAY, and a RETRY row stays
    # until the next run writes a state of its own.
    retried_at = row.date_done if row is not None and state == celery_states.RETRY else None
    if retried_at is None or attempts.last_attempted_at > retried_at:
        return Status.RUNNING
    return status


def from_record(
    record: TaskRecord,
    django_task: compat.Task,
    backend: str,
    row: ResultRow | None = None,
    attempts: TaskAttempts | None = None,
) -> compat.TaskResult:
    status = _status(row, attempts)
    started_at = row.date_started if row is not None and row.date_started else None
    last_attempted_at = attempts.last_attempted_at if attempts is not None else None
    result = compat.TaskResult(
        task=django_task,
        id=record.task_id,
        status=status,
        enqueued_at=record.created_at,
        started_at=started_at or last_attempted_at,
        finished_at=row.date_done if status in (Status.SUCCESSFUL, Status.FAILED) else None,
        last_attempted_at=last_attempted_at or started_at,
        args=record.args,
        kwargs=record.kwargs,
        backend=backend,
        errors=_errors(attempts, row),
        worker_ids=list(attempts.worker_ids) if attempts is not None else [],
    )
    if status == Status.SUCCESSFUL and row.result is not None:
        object.__setattr__(result, "_return_value", json.loads(row.result))
    return result


def get(
    task_id: str,
    django_task: compat.Task | None = None,
    backend: str = compat.DEFAULT_TASK_BACKEND_ALIAS,
    module_path_of=lambda task_name: task_name,
):
    """The TaskResult of `task_id`; TaskResultDoesNotExist if the site sent no django.tasks task by
    that id. Without `django_task`, the Task is the one at `module_path_of(record.task_name)`."""
    record = TaskRecord.objects.filter(task_id=task_id).first()
    if record is None:
        raise compat.TaskResultDoesNotExist(f"No task with id {task_id!r} is known to this site.")
    if django_task is None:
        django_task = _load(record, module_path_of)
    row = ResultRow.objects.filter(task_id=task_id).first()
    attempts = TaskAttempts.objects.filter(task_id=task_id).first()
    return from_record(record, django_task, backend, row, attempts)
