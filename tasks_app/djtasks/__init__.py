"""Django's Tasks framework on the site's Celery (settings.TASKS names `backend.CeleryBackend`).

    from django.tasks import task        # Django 6.0+; on 5.2: from django_tasks import task

    @task
    def add(a, b):
        return a + b

    result = add.enqueue(1, 2)           # recorded and sent like any task of the site
    add.get_result(result.id).status     # READY, RUNNING, SUCCESSFUL or FAILED, from the database

`task` below is Django's decorator, which also accepts the Celery options of
`backend.CeleryTask` (max_retries, retry_backoff, retry_backoff_max, time_limit) on every
Django version: 6.1's and the backport's @task pass them on to the backend's task class, 6.0's
refuses them. See docs/django-tasks.md.
"""

from __future__ import annotations

from tasks_app.djtasks import compat


def task(
    function=None,
    *,
    priority: int = compat.DEFAULT_TASK_PRIORITY,
    queue_name: str = compat.DEFAULT_TASK_QUEUE_NAME,
    backend: str = compat.DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
    **options,
):
    """Django's @task, with extra keyword arguments handed to the backend's task class (as 6.1 does)."""

    def wrapper(func):
        return compat.task_backends[backend].task_class(
            priority=priority,
            func=func,
            queue_name=queue_name,
            backend=backend,
            takes_context=takes_context,
            run_after=None,
            **options,
        )

    return wrapper(function) if function else wrapper
