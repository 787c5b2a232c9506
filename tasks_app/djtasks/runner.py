"""The worker's side: one Celery task class that runs any django.tasks Task by its module path.

`run_django_task` (Celery name `tasks_app.djtasks.run`) is the one registered task that runs any
`@task` function the worker can import: the message's `django_task` header names its module path
(`tasks_app.reports.sales_report`), and its args and kwargs are the Task's own, unwrapped, so the
status page, a retry and the result row show what the caller passed. The site's own Tasks (the
catalog's) are registered under their module path too (`celery_task_for`), so beat, metrics and
the tasks list name them as they name `echo`; both run through `DjangoTaskRunner.run`.

Each run first adds itself to the task's TaskAttempts row (the attempt number survives a worker
that dies mid-run and a redelivery), then calls the function; an exception is recorded there too,
with its class path and traceback, before Celery records the failure (or, with `max_retries`, a
retry after a backoff).
"""

from __future__ import annotations

import inspect

from celery import shared_task
from celery.exceptions import Ignore, Reject, Retry
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.utils import timezone

from tasks_app.djtasks import compat
from tasks_app.worker.revocation import SiteTask

GENERIC_NAME = "tasks_app.djtasks.run"
TASK_HEADER = "django_task"  # the message header that names the Task's module path


def begin_attempt(task_id: str, worker_id: str) -> None:
    """Record that a run of `task_id` starts on `worker_id`."""
    from tasks_app.models import TaskAttempts  # the worker imports this module before the apps are ready

    now = timezone.now()
    with transaction.atomic():
        attempts, created = TaskAttempts.objects.select_for_update().get_or_create(
            task_id=task_id, defaults={"worker_ids": [worker_id], "last_attempted_at": now}
        )
        if not created:
            attempts.worker_ids = [*attempts.worker_ids, worker_id]
            attempts.last_attempted_at = now
            attempts.save(update_fields=["worker_ids", "last_attempted_at"])


def record_error(task_id: str, exc: BaseException) -> None:
    from tasks_app.models import TaskAttempts

    error = {"exception_class_path": compat.module_path(type(exc)), "traceback": compat.exception_traceback(exc)}
    with transaction.atomic():
        attempts = TaskAttempts.objects.select_for_update().filter(task_id=task_id).first()
        if attempts is not None:
            attempts.errors = [*attempts.errors, error]
            attempts.save(update_fields=["errors"])


class DjangoTaskRunner(SiteTask):
    """Celery's Task (with the site's database-backed revocation) that runs a django.tasks Task."""

    typing = False  # the arguments are the Task's own: the sender checked them against JSON

    def module_path(self) -> str:
        if self.name != GENERIC_NAME:
            return self.name
        request = self.request
        path = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
        if not path:
            raise TypeError(f"The message has no {TASK_HEADER!r} header naming the Task to run.")
        return path

    def run(self, *args, **kwargs):
        from tasks_app.djtasks import results  # reads models: the worker imports this module before the apps are ready

        path = self.module_path()
        django_task = results.load(path)
        task_id = self.request.id
        begin_attempt(task_id, self.request.hostname or "")
        try:
            if django_task.takes_context:
                context = compat.TaskContext(task_result=results.get(task_id, django_task))
                value = django_task.call(context, *args, **kwargs)
            else:
                value = django_task.call(*args, **kwargs)
            # What a JSON round trip gives back (tuples become lists); a value JSON cannot hold
            # fails the task here, with the type named, not in the result backend's encoder.
            return compat.normalize_json(value)
        except (Ignore, Reject, Retry):
            raise  # Celery's own control flow, not an error of the task
        except Exception as exc:
            record_error(task_id, exc)
            retries = getattr(django_task, "max_retries", 0)
            if self.request.retries < retries:
                countdown = get_exponential_backoff_interval(
                    factor=django_task.retry_backoff,
                    retries=self.request.retries,
                    maximum=django_task.retry_backoff_max,
                    full_jitter=False,
                )
                headers = {**(self.request.headers or {}), TASK_HEADER: path}
                raise self.retry(exc=exc, countdown=countdown, max_retries=retries, headers=headers) from exc
            raise


@shared_task(name=GENERIC_NAME, base=DjangoTaskRunner, bind=True)
def run_django_task(self, *args, **kwargs):
    """Run the django.tasks Task that the message's `django_task` header names."""
    return DjangoTaskRunner.run(self, *args, **kwargs)


def celery_task_for(django_task: compat.Task):
    """A Celery task registered under `django_task`'s module path, with its signature and
    docstring (the form, API and OpenAPI document read them) and its Celery options."""
    path = django_task.module_path
    # eval_str: a module with `from __future__ import annotations` has the strings "int", "str";
    # the catalog checks JSON types against the classes.
    signature = inspect.signature(django_task.func, eval_str=True)
    parameters = list(signature.parameters.values())
    if django_task.takes_context:
        parameters = parameters[1:]

    def run(self, *args, **kwargs):
        return DjangoTaskRunner.run(self, *args, **kwargs)

    run.__name__ = django_task.func.__name__
    run.__qualname__ = django_task.func.__qualname__
    run.__doc__ = django_task.func.__doc__
    run.__signature__ = signature.replace(
        parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *parameters]
    )
    options = {"time_limit": getattr(django_task, "time_limit", None)}
    return shared_task(name=path, base=DjangoTaskRunner, bind=True, **options)(run)
