"""Finished runs written straight into the result table (and the site's records), with the start,
runtime and time sent a test chooses: what the stats per task type read (tasks_app.selectors.task_stats)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django_celery_results.models import TaskResult

from tasks_app.models import TaskRecord


def finished_run(
    name: str, runtime: float, *, status: str = "SUCCESS", done: datetime, waited: float | None = None
) -> str:
    """A run of `name` (the Celery name) that finished at `done` after `runtime` seconds; with `waited`,
    also the site's record of it, sent that many seconds before it started. Its task id."""
    task_id = str(uuid.uuid4())
    started = done - timedelta(seconds=runtime)
    TaskResult.objects.create(task_id=task_id, task_name=name, status=status, date_started=started)
    TaskResult.objects.filter(task_id=task_id).update(date_done=done)  # auto_now: set after the write
    if waited is not None:
        TaskRecord.objects.create(task_id=task_id, task_name=name.rpartition(".")[2], queue="q", state=status)
        TaskRecord.objects.filter(task_id=task_id).update(created_at=started - timedelta(seconds=waited))
    return task_id
