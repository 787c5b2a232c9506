"""Which tasks a person may run, how their JSON arguments bind, and which queue they use.

The form, the API and the CLI all validate through `Entry.bind`, so the same input gets the
same message everywhere, before anything is sent or saved.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from celery import Task
from django.conf import settings

from tasks_app import reports, tasks
from tasks_app.djtasks.runner import celery_task_for
from tasks_app.lib import safe_http
from tasks_app.validation import TaskInputError, check_json_value, check_text, short_repr

# The JSON type a parameter annotation asks for, in words a person knows.
JSON_TYPES = {
    str: ("a string", (str,)),
    int: ("a whole number", (int,)),
    float: ("a number", (int, float)),
    bool: ("true or false", (bool,)),
    list: ("a JSON list", (list,)),
    dict: ("a JSON object", (dict,)),
}


def _json_input(args, kwargs) -> tuple[list, dict]:
    """Args as a JSON list and kwargs as a JSON object (None for none), or TaskInputError."""
    args = [] if args is None else args
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(args, list):
        raise TaskInputError("Args must be a JSON list, such as [1, 2].", field="args")
    if not isinstance(kwargs, dict):
        raise TaskInputError('Kwargs must be a JSON object, such as {"key": "value"}.', field="kwargs")
    check_json_value(args, "args")
    check_json_value(kwargs, "kwargs")
    return args, kwargs


def _json_type_error(name: str, annotation, value) -> str | None:
    if annotation not in JSON_TYPES:
        return None  # unannotated: any JSON value
    words, accepted = JSON_TYPES[annotation]
    # JSON true/false arrive as bool, which Python also counts as int.
    if isinstance(value, bool) and annotation is not bool:
        return f"Argument {name!r} must be {words}, not {str(value).lower()}."
    if not isinstance(value, accepted):
        return f"Argument {name!r} must be {words}, not {type(value).__name__} {value!r}."
    return None


@dataclass(frozen=True)
class Entry:
    name: str
    task: Task
    queue: str = "default"
    example_args: list = field(default_factory=list)
    example_kwargs: dict = field(default_factory=dict)
    # Checks argument values beyond their JSON type: returns (parameter, problem) or None.
    check: Callable[[dict], tuple[str, str] | None] | None = None
    reports_progress: bool = False  # it sends PROGRESS updates: its page shows a progress bar

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.task.run) or ""
        return doc.splitlines()[0] if doc else ""

    @property
    def keyword_example(self) -> dict:
        """Its example as keyword arguments (the kwargs help shows it): example_kwargs, or else
        example_args by their parameters' names, such as {"seconds": 10} for long_task."""
        if self.example_kwargs:
            return self.example_kwargs
        return dict(self.signature.bind_partial(*self.example_args).arguments)

    @cached_property  # read for every task a request sends: a bulk request sends thousands
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.task.run)

    def bind(self, args, kwargs) -> tuple[list, dict]:
        """Check that JSON args and kwargs fit the task's signature; return them unchanged."""
        args, kwargs = _json_input(args, kwargs)
        self._refuse_unknown_keywords(kwargs)
        bound = self._bound(args, kwargs)
        bound.apply_defaults()
        problem = self.check(bound.arguments) if self.check else None
        if problem:
            name, message = problem
            raise TaskInputError(message, field="kwargs" if name in kwargs else "args")
        return args, kwargs

    def _refuse_unknown_keywords(self, kwargs: dict) -> None:
        parameters = self.signature.parameters
        if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            return
        unknown = [name for name in kwargs if name not in parameters]
        if unknown:
            raise TaskInputError(
                f"Unknown keyword argument {unknown[0]!r}; {self.name}{self.signature} takes "
                f"{', '.join(repr(name) for name in parameters) or 'no arguments'}.",
                field="kwargs",
            )

    def _bound(self, args: list, kwargs: dict) -> inspect.BoundArguments:
        """The arguments bound to the signature, each of the JSON type its annotation names."""
        signature = self.signature
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TaskInputError(f"These arguments do not fit {self.name}{signature}: {exc}.", field="args") from None
        for name, value in bound.arguments.items():
            problem = _json_type_error(name, signature.parameters[name].annotation, value)
            if problem:
                raise TaskInputError(problem, field="kwargs" if name in kwargs else "args")
        return bound


def _check_url(arguments: dict) -> tuple[str, str] | None:
    try:
        safe_http.check_url(arguments["url"])
    except safe_http.FetchError as exc:
        return "url", safe_http.explained(exc, settings.LOCAL_MODE)
    return None


LONG_TASK_MAX_SECONDS = 600


def _check_seconds(arguments: dict) -> tuple[str, str] | None:
    seconds = arguments["seconds"]
    if not 1 <= seconds <= LONG_TASK_MAX_SECONDS:
        return "seconds", f"Argument 'seconds' must be from 1 to {LONG_TASK_MAX_SECONDS}, not {seconds}."
    return None


def _check_days(arguments: dict) -> tuple[str, str] | None:
    days = arguments["days"]
    if not 1 <= days <= reports.SALES_REPORT_MAX_DAYS:
        return "days", f"Argument 'days' must be from 1 to {reports.SALES_REPORT_MAX_DAYS}, not {days}."
    return None


def django_task(name: str, django_task, **options) -> Entry:
    """An entry for a django.tasks Task (an `@task` function): Celery knows it by its module path
    (tasks_app.djtasks.runner), and its queue is the Task's own."""
    return Entry(name, celery_task_for(django_task), queue=django_task.queue_name, **options)


ENTRIES = {
    entry.name: entry
    for entry in (
        Entry("echo", tasks.echo, example_args=["hello"]),
        Entry("fetch_url", tasks.fetch_url, example_args=["https://example.com/"], check=_check_url),
        Entry(
            "long_task", tasks.long_task, queue="low", example_args=[10], check=_check_seconds, reports_progress=True
        ),
        # Written against Django's Tasks framework (tasks_app/reports.py).
        django_task("sales_report", reports.sales_report, example_kwargs={"days": 3}, check=_check_days),
        django_task("word_count", reports.word_count, example_args=["one two three"]),
    )
}


def register(entry: Entry) -> Entry:
    """Add a task a person may run, after the site's own (a project's plugin, a test). Every list of
    tasks (the form, the filters, the API and its OpenAPI document, the CLI's help, the API page)
    reads the catalog when it is shown, so the task appears in each of them at once."""
    if entry.name in ENTRIES:
        raise ValueError(f"The catalog has a task named {entry.name!r} already.")
    ENTRIES[entry.name] = entry
    _by_task_name.cache_clear()
    return entry


def unregister(name: str) -> Entry:
    """Take a task out of the catalog again (what register added)."""
    entry = ENTRIES.pop(name)
    _by_task_name.cache_clear()
    return entry


def revision() -> tuple:
    """What the catalog holds and the queues it takes, as the key of anything built from them and
    cached (the OpenAPI document): a task registered or a queue set later changes it."""
    return tuple((entry.name, entry.queue) for entry in ENTRIES.values()), tuple(settings.QUEUES.items())


def names() -> list[str]:
    """Every task a person may run, in the catalog's order."""
    return list(ENTRIES)


def queues() -> list[str]:
    """The short names of the site's queues (settings.QUEUES), first served first."""
    return list(settings.QUEUES)


def get(name) -> Entry:
    if isinstance(name, str):
        check_text(name, "task", "The task name")
    if not isinstance(name, str) or name not in ENTRIES:
        known = ", ".join(sorted(ENTRIES))
        raise TaskInputError(f"Unknown task {short_repr(name)}; choose one of: {known}.", field="task")
    return ENTRIES[name]


def queue_name(name) -> str:
    """The broker's name for one of the site's queues, given its short name (`high`, `default`,
    `low`: what every page, the API and the CLI show) or the broker's own (`helloworld.default`,
    what Celery's tools and logs show), so that whatever a person copies is taken back."""
    if isinstance(name, str):
        check_text(name, "queue", "The queue name")
        if name in settings.QUEUES.values():
            return name
    if not isinstance(name, str) or name not in settings.QUEUES:
        known = ", ".join(queues())
        raise TaskInputError(f"Unknown queue {short_repr(name)}; choose one of: {known}.", field="queue")
    return settings.QUEUES[name]


def short_queue(broker_name: str) -> str:
    """The short name (`default`) of a site queue given the broker's (`helloworld.default`): the one
    spelling shown everywhere, because it is what the form, the API and the CLI take, and it stays
    the same whatever QUEUE_PREFIX a deployment sets. Any other queue keeps its own name."""
    for short, full in settings.QUEUES.items():
        if full == broker_name:
            return short
    return broker_name


def examples() -> dict:
    """Each task's example arguments and queue, for the task form's script."""
    return {
        entry.name: {
            "args": entry.example_args,
            "kwargs": entry.example_kwargs,
            "queue": entry.queue,
        }
        for entry in ENTRIES.values()
    }


@functools.cache
def _by_task_name() -> dict[str, Entry]:
    # Made at first use, not at import: a task's name is read through Celery's proxy, which sets up the app.
    return {entry.task.name: entry for entry in ENTRIES.values()}


def by_task_name(registered_name: str) -> Entry | None:
    """The entry for a Celery task name such as `tasks_app.tasks.echo`, if a person may run it."""
    return _by_task_name().get(registered_name)
