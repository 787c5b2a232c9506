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

from tasks_app import catalog
from tasks_app.api import openapi_export, openapi_failures, openapi_stats, openapi_workers
from tasks_app.api import openapi_requests as inputs
from tasks_app.api import openapi_schemas as schemas
from tasks_app.api.decorators import api_view
from tasks_app.api.openapi_operations import WRITE, op
from tasks_app.api.openapi_schemas import components, printable
from tasks_app.http import bulk_limits


def paths() -> dict:
    enqueue = (*WRITE, 429, 503)
    task_id, pk = inputs.path_params().values()
    page, filters = inputs.page(), inputs.filters()
    example = inputs.example_task()
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
                "Retry every failed task the filters select (at most BULK_ACTION_MAX_TASKS a call); "
                "with `ids`, only the failed ones among those tasks",
                {202: ("queued again", "RetriedAll")},
                enqueue,
                params=filters,
                body="ChosenTasks",
                optional_body=True,
            )
        },
        "/api/tasks/revoke/": {
            "post": op(
                "revokeTasks",
                "Revoke every queued or running task the filters select; with `ids`, only those tasks",
                {200: ("revoked", "RevokedAll")},
                (*WRITE, 503),
                params=filters,
                body="TerminateChosen",
                optional_body=True,
            )
        },
        **openapi_export.export_path(),
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
                params=[
                    inputs.param("text", "query", inputs.text(pattern=printable()), "the schedule text", required=True)
                ],
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
        **openapi_workers.paths(),
        "/api/stats/": {
            "get": op(
                "getTaskStats",
                "Each task type's runs, success rate, runtime and wait percentiles, slowest runs (staff)",
                {200: ("the last hour's and day's figures", "TaskStats")},
                (403,),
            )
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
        "paths": {**paths(), **openapi_failures.paths()},
        "components": {
            "schemas": {
                **components(),
                **openapi_export.components(),
                **openapi_failures.schemas(),
                **openapi_workers.schemas(),
                **openapi_stats.schemas(),
            },
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
def _built(local_mode: bool, catalog_revision: tuple) -> dict:
    return build(local_mode)


def document() -> dict:
    """The document for this site's mode (built once per process, mode and catalog: a task registered
    later is in it at once)."""
    return _built(settings.LOCAL_MODE, catalog.revision())


# Behind the same login as the /api/ page that documents it and links the explorer.
@api_view("GET")
def openapi_json(request):
    return JsonResponse(document())
