"""Django's Tasks framework from wherever this Django has it: `django.tasks` on Django 6.0+, the
`django-tasks` backport (`django_tasks`) on 5.2. Everything else in the site imports it from here,
so there is one code path for both; the few places where the two differ are named below.
"""

from __future__ import annotations

from traceback import format_exception

try:  # Django 6.0+
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        DEFAULT_TASK_QUEUE_NAME,
        Task,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import DEFAULT_TASK_PRIORITY, TASK_MAX_PRIORITY, TASK_MIN_PRIORITY, TaskError
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist, TaskResultMismatch
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json

    IMMEDIATE_BACKEND = "django.tasks.backends.immediate.ImmediateBackend"
    # Django 6.0's @task passes no extra keyword arguments to the backend's task class (6.1 and the
    # backport do): tasks_app.djtasks.task gives every version the same way in.
    TASK_PASSES_EXTRA_KWARGS = False
except ImportError:  # Django 5.2 with the django-tasks backport
    from django_tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        DEFAULT_TASK_QUEUE_NAME,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
    from django_tasks.backends.base import BaseTaskBackend
    from django_tasks.base import DEFAULT_TASK_PRIORITY, TASK_MAX_PRIORITY, TASK_MIN_PRIORITY, Task, TaskError
    from django_tasks.exceptions import InvalidTaskError as InvalidTask
    from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
    from django_tasks.signals import task_enqueued, task_finished, task_started
    from django_tasks.utils import normalize_json

    IMMEDIATE_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"
    TASK_PASSES_EXTRA_KWARGS = True


def module_path(value) -> str:
    """`package.module.Name`, as django.tasks names task functions and exception classes."""
    return f"{value.__module__}.{value.__qualname__}"


def exception_traceback(exc: BaseException) -> str:
    return "".join(format_exception(exc))


__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "DEFAULT_TASK_PRIORITY",
    "DEFAULT_TASK_QUEUE_NAME",
    "IMMEDIATE_BACKEND",
    "TASK_MAX_PRIORITY",
    "TASK_MIN_PRIORITY",
    "TASK_PASSES_EXTRA_KWARGS",
    "BaseTaskBackend",
    "InvalidTask",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultMismatch",
    "TaskResultStatus",
    "default_task_backend",
    "exception_traceback",
    "module_path",
    "normalize_json",
    "task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
