"""What the task commands share: input errors become CommandError (a message and a non-zero
exit, no traceback), with the same words the form and the API use."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from tasks_app import services, status, validation
from tasks_app.ratelimit import RateLimited


def parse_json_option(text: str | None, field: str):
    if text is None:
        return None
    return validation.parse_json(text, field=field, subject=field.capitalize())


def command_error(exc: Exception) -> CommandError:
    """The CommandError for an exception the services raise on bad input or a missing broker."""
    if isinstance(exc, validation.TaskInputError):
        return CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    if isinstance(exc, RateLimited):
        return CommandError(exc.message)
    return CommandError(str(exc))


HANDLED = (validation.TaskInputError, services.BrokerUnavailable, RateLimited)


def describe(found: status.TaskStatus) -> str:
    """The task's status as the command prints it: JSON, like the API's."""
    return json.dumps(found.as_json(), indent=2, ensure_ascii=False)
