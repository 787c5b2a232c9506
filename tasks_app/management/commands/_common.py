"""What the task commands share: input errors become CommandError (a message and a non-zero
exit, no traceback), with the same words the form and the API use."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from tasks_app import catalog, services, validation
from tasks_app.errors import UserError
from tasks_app.models import TaskRecord
from tasks_app.selectors import filters, status


def parse_json_option(text: str | None, field: str):
    if text is None:
        return None
    return validation.parse_json(text, field=field, subject=field.capitalize())


def command_error(exc: UserError) -> CommandError:
    """The CommandError for a refusal from the services: the field at fault first, and all of a broker
    error's words (whoever runs the CLI is on the server)."""
    text = exc.text_for(staff=True)
    return CommandError(f"{exc.field}: {text}" if exc.field else text)


def describe(found: status.TaskStatus) -> str:
    """The task's status as the command prints it: JSON, like the API's."""
    return json.dumps(found.as_json(), indent=2, ensure_ascii=False)


def filter_help() -> dict[str, str]:
    """The tasks list's filters, as options of the commands that act on every task they select; the
    lists in their help are read from the catalog and the settings when the command runs."""
    return {
        "task": f"only this task ({', '.join(catalog.names())})",
        "queue": f"only this queue ({', '.join(catalog.queues())})",
        "periodic": "only the runs of this periodic task",
        "date_from": "sent on or after this day (YYYY-MM-DD, the site's zone)",
        "date_to": "sent on or before this day (YYYY-MM-DD)",
        "id": "only ids that start with this",
    }


def add_filter_arguments(parser) -> None:
    for name, help_text in filter_help().items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=f"filter_{name}", help=help_text)


def selected(options: dict):
    """Every task the filter options select (the CLI sees all tasks, as staff does)."""
    given = {name: options[f"filter_{name}"] for name in filter_help() if options.get(f"filter_{name}")}
    return filters.apply(TaskRecord.objects.all(), filters.parse(given, services.site_time_zone()))


def each_task(command, task_ids: list[str], act) -> int:
    """`act(task_id)` for each id in turn (it prints its own answer); a refusal is printed to stderr,
    naming the id, and the others still go ahead. How many were refused. One id alone is refused as
    before: its CommandError."""
    failed = 0
    for task_id in task_ids:
        try:
            act(task_id)
        except UserError as exc:
            if len(task_ids) == 1:
                raise command_error(exc) from None
            command.stderr.write(f"{task_id}: {command_error(exc)}")
            failed += 1
    return failed
