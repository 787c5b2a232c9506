"""The API's answer to every error a person sees: `{"error": message, "field": name}` with the status
STATUSES gives its class, never an HTML page or a stack trace; and the refusals only the API makes."""

from __future__ import annotations

from django.http import JsonResponse

from tasks_app import access, services
from tasks_app.access import BadToken
from tasks_app.errors import UserError
from tasks_app.http.bulk_limits import BodyTooLarge
from tasks_app.http.unavailable import DatabaseUnavailable
from tasks_app.ratelimit import RateLimited
from tasks_app.schedules import ScheduleError
from tasks_app.selectors.failures import GroupNotFound
from tasks_app.services.worker_control import UnknownAction, WorkerControlError
from tasks_app.validation import TaskInputError


class BadRequest(UserError):
    """A body or query the API cannot read (not JSON, an unknown field)."""


class Unauthorized(UserError):
    """No user: neither an API token nor a session."""


class Forbidden(UserError):
    """A user who may not do this, or a session write without its CSRF token."""


class NotFound(UserError):
    """Nothing this user may see has this id."""


class LengthRequired(UserError):
    """A body sent without a Content-Length."""


class TooLarge(UserError):
    """A body larger than the endpoint reads."""


class UnsupportedMediaType(UserError):
    """A body that does not say it is JSON."""


# The one table of statuses: an error answers the status of the first class of its MRO found here,
# so a subclass listed (TaskNotFound) wins over its base (TaskInputError); any other UserError is a 400.
STATUSES: dict[type[UserError], int] = {
    BadRequest: 400,
    TaskInputError: 400,
    WorkerControlError: 400,
    ScheduleError: 400,
    Unauthorized: 401,
    BadToken: 401,
    Forbidden: 403,
    NotFound: 404,
    services.TaskNotFound: 404,
    GroupNotFound: 404,
    UnknownAction: 404,  # /api/workers/<name>/<action>/ for an action there is not
    services.TaskStateConflict: 409,  # the input is fine; the task's state forbids it
    LengthRequired: 411,
    TooLarge: 413,
    BodyTooLarge: 413,
    UnsupportedMediaType: 415,
    RateLimited: 429,
    services.BrokerUnavailable: 503,
    DatabaseUnavailable: 503,
}


def status_of(exc: UserError) -> int:
    return next((STATUSES[cls] for cls in type(exc).__mro__ if cls in STATUSES), 400)


def error_response(status_code: int, message: str, field: str | None = None) -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status_code)


def response_for(exc: UserError, user) -> JsonResponse:
    """The JSON answer to `exc` for this user, with the headers its status calls for."""
    status_code = status_of(exc)
    response = error_response(status_code, access.error_text(exc, user), exc.field)
    if status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def database_unavailable() -> JsonResponse:
    """The answer when the database is busy or unreachable (a 503 with Retry-After)."""
    return response_for(DatabaseUnavailable(), user=None)
