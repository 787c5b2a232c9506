"""django.tasks tasks for the tests: plain `@task` functions outside the site's catalog, run by the
one generic runner (tasks_app.djtasks.runner) like any a project would write.

Django's own `@task` on every version, except where a test needs Celery's options: the site's
`task`, which hands them to the backend's task class on 6.0 too. `finished` waits for any task's result.
"""

import asyncio
import time

from celery.exceptions import Reject
from django.utils import timezone

from tasks_app.djtasks import compat
from tasks_app.djtasks import task as task_with_options
from tests.support.waiting import wait_for


def finished(task, result_id, timeout=30):
    return wait_for(
        lambda: (found := task.get_result(result_id)).is_finished and found,
        timeout=timeout,
        message=f"{task.name} {result_id} to finish",
    )


@compat.task
def add(a, b):
    return a + b


@compat.task
def started_at():
    """When it ran (to check that run_after held it back)."""
    return timezone.now().isoformat()


@compat.task
def explode(message):
    raise ValueError(message)


@compat.task
async def async_add(a, b):
    await asyncio.sleep(0)
    return a + b


@compat.task(takes_context=True)
def requeued_once(context, value):
    """Goes back to the broker on its first attempt, as if its worker had died; returns what the
    second attempt's context says."""
    if context.attempt == 1:
        raise Reject("back to the broker", requeue=True)
    return {
        "attempt": context.attempt,
        "id": context.task_result.id,
        "worker_ids": context.task_result.worker_ids,
        "value": value,
    }


@task_with_options(takes_context=True, max_retries=2, retry_backoff=0.5)
def fails_twice(context):
    if context.attempt < 3:
        raise RuntimeError(f"attempt {context.attempt} fails")
    return context.attempt


@task_with_options(max_retries=1, retry_backoff=0.2)
def always_fails():
    raise KeyError("never works")


@compat.task(queue_name="high")
def on_high():
    return "high"


@task_with_options(time_limit=2)
def sleeps(seconds):
    time.sleep(seconds)
    return seconds


@compat.task(takes_context=True)
def slow_first_attempt(context):
    """Long on its first attempt (long enough to kill its worker), quick on the next."""
    if context.attempt == 1:
        time.sleep(60)
    return {"attempt": context.attempt, "worker_ids": context.task_result.worker_ids}
