"""`GET /api/openapi.json`: the API's contract as an OpenAPI 3.1 document, written as data.

Hand-written beside the hand-written views (tasks_app/api/*), its lists (task names, queues, states,
limits) read from the code each time it is built, and kept from drifting by tests:
tests/api/test_openapi.py checks that every route of tasks_app/api/urls.py is here and nothing
else is, tests/api/conftest.py validates every JSON answer the API tests receive against it,
tests/api/test_contract.py holds each parameter as strict as the server, and
tests/api/test_generated_client.py drives the API through a client openapi-python-client generates.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import JsonResponse

from tasks_app import bulk_limits, catalog, pagination, validation
from tasks_app.api import openapi_schemas as schemas
from tasks_app.api.decorators import api_view
from tasks_app.api.openapi_schemas import components, printable, ref

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
    parameter = {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }
    if where == "query" and not required:
        # As the pages' filter forms send them: `?task=` is the same as no `task` at all. A value that is
        # sent must fit the schema (never empty: minLength or an enum).
        parameter["allowEmptyValue"] = True
        parameter["description"] += "; sent empty, the same as left out"
    return parameter


def _text(**schema) -> dict:
    """A query value of free text (sent empty: allowEmptyValue, in _param)."""
    return {"type": "string", "minLength": 1, "maxLength": validation.MAX_TEXT_CHARS, **schema}


def _path_params() -> dict:
    return {
        # Any id a task could have (tasks another service sent carry their own): printable, no slash.
        "task_id": _param(
            "task_id",
            "path",
            {"type": "string", "minLength": 1, "maxLength": 255, "pattern": printable("/")},
            "the task's id",
        ),
        "pk": _param("pk", "path", {"type": "integer", "minimum": 0}, "the periodic task's id"),
    }


def _page() -> list[dict]:
    limit = {"type": "integer", "minimum": 1, "maximum": pagination.MAX_LIMIT}
    description = f"page size, 1 to {pagination.MAX_LIMIT} (default {pagination.DEFAULT_LIMIT})"
    return [
        _param("limit", "query", limit, description),
        _param(
            "cursor", "query", {"type": "string", "minLength": 1}, "opaque: from a previous answer's next or previous"
        ),
    ]


def _filters() -> list[dict]:
    day = {"type": "string", "format": "date"}
    return [
        _param("task", "query", ref("TaskName"), "a task name"),
        _param("state", "query", ref("State"), "a state"),
        _param("queue", "query", ref("QueueName"), "a queue"),
        _param("date_from", "query", day, "enqueued on or after this day"),
        _param("date_to", "query", day, "enqueued on or before this day"),
        _param("periodic", "query", _text(pattern=printable()), "runs of this periodic task"),
        _param("id", "query", _text(pattern=printable()), "this task id, or its beginning"),
    ]


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: str | None = None) -> dict:
    return {"description": description, **({"content": _json(ref(schema))} if schema else {})}


def op(
    operation_id: str,
    summary: str,
    ok: dict,
    errors=(),
    *,
    params=(),
    body: str | None = None,
    optional_body=False,
    public=False,
    example: dict | None = None,
):
    """One operation: its id (what generated clients name their function after), its successful
    answers (`ok`, status -> (description, schema)), its error statuses, and, for a body, an example
    that the explorer's Execute sends as it is (tests/api/test_contract.py posts it)."""
    responses = {str(code): _answer(*answer) for code, answer in ok.items()}
    # Any endpoint may meet a database that is busy or unreachable (a statement or lock bound ran out): 503.
    for code in sorted(set(errors) | {503} | ({401} if not public else set())):
        if str(code) in responses:  # health's own 503 (a broker down), or the database's
            answered = responses[str(code)]
            alternatives = [answered["content"]["application/json"]["schema"], ref("Error")]
            description = f"{answered['description']}, or the database is busy or unreachable (Retry-After)"
            responses[str(code)] = {"description": description}
            responses[str(code)]["content"] = _json({"oneOf": alternatives})
        else:
            responses[str(code)] = {**_answer(ERRORS[code], "Error")}
        if code in (429, 503):
            responses[str(code)]["headers"] = RETRY_AFTER
    operation = {"operationId": operation_id, "summary": summary, "parameters": list(params), "responses": responses}
    if body:
        content = _json(ref(body))
        if example is not None:
            content["application/json"]["example"] = example
        operation["requestBody"] = {"required": not optional_body, "content": content}
    if public:
        # Open to anyone; a token that is sent must still be right (a wrong one is a 401).
        operation["security"] = [{}, {"token": []}]
    return operation


def _example_task() -> dict:
    """The catalog's first task with its own example arguments: a body POST /api/tasks/ accepts."""
    entry = next(iter(catalog.ENTRIES.values()))
    return {
        "task": entry.name,
        "args": entry.example_args,
        **({"kwargs": entry.example_kwargs} if entry.example_kwargs else {}),
    }


def paths() -> dict:
    enqueue = (*WRITE, 429, 503)
    task_id, pk = _path_params().values()
    page, filters = _page(), _filters()
    example = _example_task()
    return {
        "/api/tasks/": {
            "get": op(
                "listTasks",
                "List tasks, newest first",
                {200: ("a page of tasks", "TaskPage")},
                (400,),
                params=filters + page,
            ),
            "post": op(
                "sendTask",
                "Send a task; with `schedule`, create a periodic task instead (staff)",
                {202: ("queued", "Accepted"), 201: ("a periodic task, created", "PeriodicDetail")},
                enqueue,
                body="TaskCreate",
                example=example,
            ),
        },
        "/api/tasks/bulk/": {
            "post": op(
                "sendTasks",
                f"Send up to {bulk_limits.most_tasks()} tasks at once ({bulk_limits.governing_limit()}): "
                "all are checked before any is sent",
                {202: ("all queued", "BulkAccepted")},
                enqueue,
                body="BulkCreate",
                example={"tasks": [example, {**example, "queue": schemas.queue_names()[0]}]},
            )
        },
        "/api/tasks/retry/": {
            "post": op(
                "retryFailedTasks",
                "Retry every failed task the filters select (at most BULK_ACTION_MAX_TASKS a call)",
                {202: ("queued again", "RetriedAll")},
                enqueue,
                params=filters,
                body="NoFields",
                optional_body=True,
            )
        },
        "/api/tasks/revoke/": {
            "post": op(
                "revokeTasks",
                "Revoke every queued or running task the filters select",
                {200: ("revoked", "RevokedAll")},
                (*WRITE, 503),
                params=filters,
                body="Terminate",
                optional_body=True,
            )
        },
        "/api/tasks/{task_id}/": {
            "get": op(
                "getTask",
                "A task: state, result, error, times",
                {200: ("the task", "Task")},
                (400, 404),
                params=[task_id],
            )
        },
        "/api/tasks/{task_id}/retry/": {
            "post": op(
                "retryTask",
                "Run a finished task again, as a new task",
                {202: ("queued", "Retried")},
                (*enqueue, 404, 409),
                params=[task_id],
                body="NoFields",
                optional_body=True,
            )
        },
        "/api/tasks/{task_id}/revoke/": {
            "post": op(
                "revokeTask",
                "Revoke a queued or running task",
                {200: ("revoked, or for a running task not terminated, its revocation requested", "Revoked")},
                (*WRITE, 404, 409, 503),
                params=[task_id],
                body="Terminate",
                optional_body=True,
            )
        },
        "/api/periodic/": {
            "get": op(
                "listPeriodicTasks",
                "List periodic tasks",
                {200: ("a page of periodic tasks", "PeriodicPage")},
                (400,),
                params=page,
            ),
            "post": op(
                "createPeriodicTask",
                "Create a periodic task (staff)",
                {201: ("created", "PeriodicDetail")},
                (*WRITE, 429),
                body="PeriodicCreate",
                example={**example, "schedule": "every 5 minutes"},
            ),
        },
        "/api/periodic/{pk}/": {
            "get": op(
                "getPeriodicTask",
                "A periodic task and its recent runs",
                {200: ("it", "PeriodicDetail")},
                (404,),
                params=[pk],
            ),
            "patch": op(
                "changePeriodicTask",
                "Change a periodic task (staff)",
                {200: ("changed", "PeriodicDetail")},
                (*WRITE, 404),
                params=[pk],
                body="PeriodicChange",
                example={"enabled": False},
            ),
            "delete": op(
                "deletePeriodicTask", "Delete a periodic task (staff)", {204: ("deleted",)}, (*WRITE, 404), params=[pk]
            ),
        },
        "/api/periodic/{pk}/run/": {
            "post": op(
                "runPeriodicTask",
                "Send a periodic task's task now, once (staff)",
                {202: ("queued", "Accepted")},
                (*enqueue, 404),
                params=[pk],
            )
        },
        "/api/schedules/preview/": {
            "get": op(
                "previewSchedule",
                "What a schedule means and its next five runs",
                {200: ("the schedule", "SchedulePreview")},
                (400,),
                params=[_param("text", "query", _text(pattern=printable()), "the schedule text", required=True)],
            )
        },
        "/api/health/": {
            "get": op(
                "getHealth",
                "Is the broker reachable, does a worker answer, is a beat alive (staff see details)",
                {200: ("healthy", "Health"), 503: ("the broker is unreachable or not checked yet", "Health")},
                (401,),
                public=True,
            )
        },
        "/api/dashboard/": {
            "get": op("getDashboard", "The dashboard's data", {200: ("queues, workers, beat, counts", "Dashboard")})
        },
        "/api/openapi.json": {
            "get": op("getOpenApiDocument", "This document", {200: ("the OpenAPI 3.1 document", "OpenApi")})
        },
    }


DESCRIPTION = """The site's JSON API. Errors are `{"error": message, "field": name}` (`field` when one field is
at fault). Any method an endpoint does not list is a 405 with an empty body, whose `Allow` header lists the
methods it serves. An optional query parameter sent empty (`?task=`, as a form sends it) is the same as one
left out (`allowEmptyValue`); a required one sent empty is a 400. In local mode
(`make run`) nothing needs authentication and nothing is rate limited; in production every endpoint but health
needs an API token (`Authorization: Bearer <token>`, issued in the admin) or a session, and a session's writes
need the CSRF token in the `X-CSRFToken` header."""
LOCAL = """

**This site runs in local mode: no request needs a token or a session** (the empty security requirement
says so). A token that is sent is still checked: a wrong one is a 401."""
# Who may call: a token or a session; in local mode also anyone (`{}`, the empty requirement).
SECURITY = [{"token": []}, {"session": []}]


def build(local_mode: bool) -> dict:
    """The document, read afresh from the code: the catalog, the queues, the states and the limits."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "helloworld API", "version": "1", "description": DESCRIPTION + (LOCAL if local_mode else "")},
        "servers": [{"url": "/"}],
        "security": [{}, *SECURITY] if local_mode else SECURITY,
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


@cache
def _built(local_mode: bool) -> dict:
    return build(local_mode)


def document() -> dict:
    """The document for this site's mode (built once per process and mode)."""
    return _built(settings.LOCAL_MODE)


# Behind the same login as the /api/ page that documents it and links the explorer.
@api_view("GET")
def openapi_json(request):
    return JsonResponse(document())
