"""`CeleryBackend`: Django's Tasks framework (`@task`, `.enqueue()`, `get_result()`) on the site's
Celery, configured in settings.TASKS.

- enqueue and aenqueue go through the site's sending path (services.sending.send): the task's
  record exists at once, so status page, tasks list, dashboard, API, CLI and /metrics see it; a
  broker outage raises services.BrokerUnavailable and leaves nothing recorded or queued.
- get_result and aget_result read the database (tasks_app.djtasks.results), in any process.
- run_after is Celery's eta. priority is honoured only on Redis (supports_priority says so):
  kombu's Redis transport serves four bands of priority, and RabbitMQ only does for queues declared
  with x-max-priority, which the site's are not; the embedded broker has none.
- queue_name is one of QUEUES (the site's short names: high, default, low).
- Arguments must survive JSON (ArgumentsNotJSON, a TypeError); the catalog's Tasks are also
  bound as the form binds them (validation.TaskInputError, a ValueError, with the form's words).
- Celery options django.tasks has no word for (max_retries, retry_backoff, retry_backoff_max,
  time_limit) are fields of the backend's task class, `CeleryTask`, given as `@task(...)` keyword
  arguments (tasks_app.djtasks.task on Django 6.0, whose @task does not pass them on).
"""

from __future__ import annotations

import dataclasses
import weakref

from celery import current_app
from django.conf import settings

from helloworld import brokers
from tasks_app.djtasks import compat
from tasks_app.validation import TaskInputError, check_json_value

# kombu's Redis transport keeps one list per band (its priority_steps: 0, 3, 6, 9) and serves
# band 0 first; a message without a priority (every other task the site sends) is in band 0.
# So a Task's default priority, 0, sends none, and only lower ones wait behind: -1 to -33 in
# band 3, -34 to -66 in band 6, -67 to -100 in band 9. Above 0 is band 0 too: nothing the broker
# holds can be served before the site's other tasks.
REDIS_BANDS = ((-33, 3), (-66, 6), (-100, 9))


def redis_priority(priority: int) -> int | None:
    if priority >= 0:
        return None
    for floor, band in REDIS_BANDS:
        if priority >= floor:
            return band
    return REDIS_BANDS[-1][1]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CeleryTask(compat.Task):
    """Django's Task, plus what Celery offers and django.tasks does not."""

    max_retries: int = 0
    """Run again this many times after a failure (an exception), waiting `retry_backoff` seconds
    doubling each time, at most `retry_backoff_max`. Every attempt's error is in `errors`."""

    retry_backoff: float = 1.0
    retry_backoff_max: float = 600.0

    time_limit: float | None = None
    """Seconds after which the worker kills the run (prefork pool): the task ends FAILED with
    celery's TimeLimitExceeded."""


_PRIORITY_BY_APP: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Celery app -> its broker honours priority


class ArgumentsNotJSON(TypeError):
    """Arguments that would not come back the same from the JSON the broker carries."""


def _as_json(value, field: str):
    try:
        return check_json_value(value, field, f"The task's {field}")
    except TaskInputError as exc:
        raise ArgumentsNotJSON(f"{exc.message} Pass only JSON values: they travel to the worker as JSON.") from None


class CeleryBackend(compat.BaseTaskBackend):
    task_class = CeleryTask

    supports_defer = True  # run_after: Celery's eta
    supports_async_task = True  # a coroutine function runs to completion in the worker (async_to_sync)
    supports_get_result = True  # from the database, in any process

    @property
    def supports_priority(self) -> bool:
        """Only where the broker honours it: Redis (see REDIS_BANDS). Asked at every enqueue (by
        validate_task), so the answer is kept per app: a settings lookup and a URL parse cost a
        tenth of what django.tasks adds to an enqueue. An app's broker is set before it sends anything."""
        app = current_app._get_current_object()
        honours = _PRIORITY_BY_APP.get(app)
        if honours is None:
            honours = _PRIORITY_BY_APP[app] = brokers.kind_of(app.conf.broker_url) == "redis"
        return honours

    def validate_task(self, task) -> None:
        super().validate_task(task)
        if isinstance(task, CeleryTask):
            if not isinstance(task.max_retries, int) or task.max_retries < 0:
                raise compat.InvalidTask("max_retries must be a whole number, 0 or more.")
            if not task.retry_backoff > 0 or not task.retry_backoff_max > 0:
                raise compat.InvalidTask("retry_backoff and retry_backoff_max must be more than 0 seconds.")
            if task.time_limit is not None and not task.time_limit > 0:
                raise compat.InvalidTask("time_limit must be more than 0 seconds, or None.")

    def check(self, **kwargs):
        """QUEUES must be the site's queue names (settings.QUEUES): they are what the workers consume."""
        from django.core import checks

        unknown = sorted(set(self.queues) - set(settings.QUEUES))
        if unknown:
            yield checks.Error(
                f"TASKS[{self.alias!r}]['QUEUES'] names {', '.join(map(repr, unknown))}, "
                "which the site has no queue for.",
                hint=f"Use the site's queue names: {', '.join(settings.QUEUES)}.",
                id="tasks_app.E001",
            )

    def check_arguments(self, args, kwargs) -> tuple[list, dict]:
        """The arguments as JSON will carry them, or ArgumentsNotJSON naming the one at fault."""
        return _as_json(list(args), "args"), _as_json(dict(kwargs), "kwargs")

    def send_options(self, task, generic: bool) -> dict:
        from tasks_app.djtasks.runner import TASK_HEADER

        # The one runner reads the Task's path from a header; the catalog's are registered under it.
        options = {"headers": {TASK_HEADER: task.module_path}} if generic else {}
        if task.run_after is not None:
            options["eta"] = task.run_after
        priority = redis_priority(task.priority) if task.priority and self.supports_priority else None
        if priority is not None:
            options["priority"] = priority
        if getattr(task, "time_limit", None):
            options["time_limit"] = task.time_limit
        return options

    def enqueue(self, task, args, kwargs):
        from tasks_app import catalog
        from tasks_app.djtasks import results, runner
        from tasks_app.models import SentFrom
        from tasks_app.services.sending import send

        self.validate_task(task)
        args, kwargs = self.check_arguments(args, kwargs)
        # The site's own Tasks (the catalog's) under their own Celery name, any other through the one runner.
        entry = catalog.by_task_name(task.module_path)
        generic = entry is None
        if generic:
            entry = catalog.Entry(task.module_path, runner.run_django_task)
        else:
            # The same checks and words as the form's and the API's (TaskInputError, a ValueError).
            args, kwargs = entry.bind(args, kwargs)
        options = self.send_options(task, generic)
        record = send(entry, args, kwargs, settings.QUEUES[task.queue_name], options=options, sent_from=SentFrom.CODE)
        result = results.from_record(record, task, self.alias)
        compat.task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id):
        from tasks_app.djtasks import results

        return results.get(result_id, backend=self.alias, module_path_of=module_path_of)


def module_path_of(task_name: str) -> str:
    """The module path of a recorded task: the catalog's are recorded by their short name."""
    from tasks_app import catalog  # the catalog imports the site's @task modules, which load this backend

    entry = catalog.ENTRIES.get(task_name)
    return entry.task.name if entry is not None else task_name
