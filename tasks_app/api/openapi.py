"""`GET /api/openapi.json`: the API's contract as an OpenAPI 3.1 document, written as data.

Hand-written beside the hand-written views (tasks_app/api/*), and kept from drifting by tests:
tests/api/test_openapi.py checks that every route of tasks_app/api/urls.py is here and nothing
else is, and tests/api/conftest.py validates every JSON answer the API tests receive against it.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import JsonResponse

from tasks_app import bulk_limits
from tasks_app.api.decorators import api_view
from tasks_app.api.openapi_schemas import components, ref

ERRORS = {
    400: "bad input: the error names the field at fault",
    401: "not logged in and no API token, or a wrong or revoked token",
    403: "not allowed (staff only), or a session request that failed its CSRF check",
    404: "no such thing, or not yours",
    409: "the task is not in a state this allows (not finished for a retry, finished for a revoke)",
    411: "a body sent chunked, without Content-Length",
    413: "the body is larger than the endpoint reads",
    415: "a body not sent as application/json",
    429: "over the rate limit; Retry-After says when to try again",
    503: "the broker is unreachable (nothing was queued), or the database is busy or unreachable (Retry-After)",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
WRITE = (400, 401, 403, 411, 413, 415)  # what api_view answers to any POST, PATCH or DELETE


def _param(name: str, where: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


TASK_ID = _param("task_id", "path", {"type": "string", "maxLength": 255}, "the task's id")
PK = _param("pk", "path", {"type": "integer", "minimum": 0}, "the periodic task's id")
PAGE = [
    _param("limit", "query", {"type": "string", "pattern": "^[0-9]+$"}, "page size, 1 to 100 (default 25)"),
    _param("cursor", "query", {"type": "string"}, "opaque: from a previous answer's next or previous"),
]
FILTERS = [
    _param("task", "query", {"type": "string"}, "a task name: echo, fetch_url, long_task"),
    _param(
        "state", "query", {"type": "string"}, "a state: QUEUED, STARTED, PROGRESS, RETRY, SUCCESS, FAILURE, REVOKED"
    ),
    _param("queue", "query", {"type": "string"}, "a queue: high, default, low"),
    _param("date_from", "query", {"type": "string", "format": "date"}, "enqueued on or after this day"),
    _param("date_to", "query", {"type": "string", "format": "date"}, "enqueued on or before this day"),
    _param("periodic", "query", {"type": "string"}, "runs of this periodic task"),
    _param("id", "query", {"type": "string"}, "this task id"),
]


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: str | None = None) -> dict:
    return {"description": description, **({"content": _json(ref(schema))} if schema else {})}


def op(summary: str, ok: dict, errors=(), *, params=(), body: str | None = None, optional_body=False, public=False):
    """One operation: its successful answers (`ok`, status -> (description, schema)) and its error statuses."""
    responses = {str(code): _answer(*answer) for code, answer in ok.items()}
    # Any endpoint may meet a database that is busy or unreachable (a statement or lock bound ran out): 503.
    for code in sorted(set(errors) | {503} | ({401} if not public else set())):
        if str(code) in responses:  # health's own 503 (a broker down), or the database's
            answered = responses[str(code)]
            schemas = [answered["content"]["application/json"]["schema"], ref("Error")]
            description = f"{answered['description']}, or the database is busy or unreachable (Retry-After)"
            responses[str(code)] = {"description": description}
            responses[str(code)]["content"] = _json({"oneOf": schemas})
        else:
            responses[str(code)] = {**_answer(ERRORS[code], "Error")}
        if code in (429, 503):
            responses[str(code)]["headers"] = RETRY_AFTER
    operation = {"summary": summary, "parameters": list(params), "responses": responses}
    if body:
        operation["requestBody"] = {"required": not optional_body, "content": _json(ref(body))}
    if public:
        # Open to anyone; a token that is sent must still be right (a wrong one is a 401).
        operation["security"] = [{}, {"token": []}]
    return operation


def paths() -> dict:
    enqueue = (*WRITE, 429, 503)
    return {
        "/api/tasks/": {
            "get": op(
                "List tasks, newest first", {200: ("a page of tasks", "TaskPage")}, (400,), params=FILTERS + PAGE
            ),
            "post": op(
                "Send a task; with `schedule`, create a periodic task instead (staff)",
                {202: ("queued", "Accepted"), 201: ("a periodic task, created", "PeriodicDetail")},
                enqueue,
                body="TaskCreate",
            ),
        },
        "/api/tasks/bulk/": {
            "post": op(
                f"Send up to {bulk_limits.most_tasks()} tasks at once ({bulk_limits.governing_limit()}): "
                "all are checked before any is sent",
                {202: ("all queued", "BulkAccepted")},
                enqueue,
                body="BulkCreate",
            )
        },
        "/api/tasks/retry/": {
            "post": op(
                "Retry every failed task the filters select (at most BULK_ACTION_MAX_TASKS a call)",
                {202: ("queued again", "RetriedAll")},
                enqueue,
                params=FILTERS,
                body="NoFields",
                optional_body=True,
            )
        },
        "/api/tasks/revoke/": {
            "post": op(
                "Revoke every queued or running task the filters select",
                {200: ("revoked", "RevokedAll")},
                (*WRITE, 503),
                params=FILTERS,
                body="Terminate",
                optional_body=True,
            )
        },
        "/api/tasks/{task_id}/": {
            "get": op("A task: state, result, error, times", {200: ("the task", "Task")}, (400, 404), params=[TASK_ID])
        },
        "/api/tasks/{task_id}/retry/": {
            "post": op(
                "Run a finished task again, as a new task",
                {202: ("queued", "Retried")},
                (*enqueue, 404, 409),
                params=[TASK_ID],
                body="NoFields",
                optional_body=True,
            )
        },
        "/api/tasks/{task_id}/revoke/": {
            "post": op(
                "Revoke a queued or running task",
                {200: ("revoked", "Revoked")},
                (*WRITE, 404, 409, 503),
                params=[TASK_ID],
                body="Terminate",
                optional_body=True,
            )
        },
        "/api/periodic/": {
            "get": op("List periodic tasks", {200: ("a page of periodic tasks", "PeriodicPage")}, (400,), params=PAGE),
            "post": op(
                "Create a periodic task (staff)",
                {201: ("created", "PeriodicDetail")},
                (*WRITE, 429),
                body="PeriodicCreate",
            ),
        },
        "/api/periodic/{pk}/": {
            "get": op("A periodic task and its recent runs", {200: ("it", "PeriodicDetail")}, (404,), params=[PK]),
            "patch": op(
                "Change a periodic task (staff)",
                {200: ("changed", "PeriodicDetail")},
                (*WRITE, 404),
                params=[PK],
                body="PeriodicChange",
            ),
            "delete": op("Delete a periodic task (staff)", {204: ("deleted",)}, (*WRITE, 404), params=[PK]),
        },
        "/api/periodic/{pk}/run/": {
            "post": op(
                "Send a periodic task's task now, once (staff)",
                {202: ("queued", "Accepted")},
                (*enqueue, 404),
                params=[PK],
            )
        },
        "/api/schedules/preview/": {
            "get": op(
                "What a schedule means and its next five runs",
                {200: ("the schedule", "SchedulePreview")},
                (400,),
                params=[_param("text", "query", {"type": "string"}, "the schedule text", required=True)],
            )
        },
        "/api/health/": {
            "get": op(
                "Is the broker reachable, does a worker answer, is a beat alive (staff see details)",
                {200: ("healthy", "Health"), 503: ("the broker is unreachable or not checked yet", "Health")},
                (401,),
                public=True,
            )
        },
        "/api/dashboard/": {"get": op("The dashboard's data", {200: ("queues, workers, beat, counts", "Dashboard")})},
        "/api/openapi.json": {"get": op("This document", {200: ("the OpenAPI 3.1 document", "OpenApi")})},
    }


DESCRIPTION = """The site's JSON API. Errors are `{"error": message, "field": name}` (`field` when one field is
at fault). Any method an endpoint does not list is a 405 with an empty body. In local mode (`make run`) nothing
needs authentication and nothing is rate limited; in production every endpoint but health needs an API
token (`Authorization: Bearer <token>`, issued in the admin) or a session, and a session's writes need
the CSRF token in the `X-CSRFToken` header."""


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "helloworld API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"token": []}, {"session": []}],
        "paths": paths(),
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "an API token from the admin"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "a logged-in session; writes also need the X-CSRFToken header",
                },
            },
        },
    }


# Behind the same login as the /api/ page that documents it and links the explorer.
@api_view("GET")
def openapi_json(request):
    return JsonResponse(document())
