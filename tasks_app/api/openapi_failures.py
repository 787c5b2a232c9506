"""The failures endpoints' part of the OpenAPI document (tasks_app/api/openapi.py): their paths and
their JSON shapes, beside the views in tasks_app/api/failures.py."""

from __future__ import annotations

from tasks_app.api import openapi_requests as inputs
from tasks_app.api.openapi_operations import WRITE, op
from tasks_app.api.openapi_schemas import BOOLEAN, INTEGER, STRING, TIME, nullable, obj, printable, ref
from tasks_app.selectors import failures


def paths() -> dict:
    group = inputs.param(
        "group_id",
        "path",
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": printable("/")},
        "the group's id (a stable hash of its task, exception class and normalised message)",
    )
    dismissed = inputs.param(
        "dismissed",
        "query",
        {"type": "string", "enum": ["true", "false", "1", "0"]},
        "include the dismissed groups",
    )
    return {
        "/api/failures/": {
            "get": op(
                "listFailureGroups",
                f"Failed tasks of the last {failures.WINDOW.days} days, grouped by task, exception and message",
                {200: ("the groups, latest failure first", "FailureGroups")},
                (400,),
                params=[dismissed],
            )
        },
        "/api/failures/{group_id}/retry/": {
            "post": op(
                "retryFailureGroup",
                "Retry every failed task of a group (at most BULK_ACTION_MAX_TASKS a call)",
                {202: ("queued again", "RetriedAll")},
                (*WRITE, 404, 429, 503),
                params=[group],
                body="NoFields",
                optional_body=True,
            )
        },
        "/api/failures/{group_id}/dismiss/": {
            "post": op(
                "dismissFailureGroup",
                "Hide a group until it fails again (staff)",
                {200: ("dismissed", "FailureGroup")},
                (*WRITE, 404),
                params=[group],
                body="NoFields",
                optional_body=True,
            )
        },
    }


def schemas() -> dict:
    group = obj(
        {
            "id": STRING,
            "task": {"type": "string", "description": "the task's registered name"},
            "exception": {"type": "string", "description": "the exception's class (with its module unless builtin)"},
            "message": {"type": "string", "description": "the message, numbers, ids and quoted values replaced"},
            "count": INTEGER,
            "first_seen": TIME,
            "last_seen": TIME,
            "latest_task": STRING,
            "latest_error": {"type": "string", "description": "the latest failure's own message"},
            "traceback": nullable(STRING),
            "dismissed": {"type": "boolean", "description": "dismissed, and no failure of it since"},
            "dismissed_at": TIME,
            "dismissed_by": nullable(STRING),
        }
    )
    groups = obj(
        {
            "groups": {"type": "array", "items": ref("FailureGroup")},
            "window_days": INTEGER,
            "scanned": {"type": "integer", "description": f"failed tasks read (at most {failures.SCAN_MAX})"},
            "capped": {**BOOLEAN, "description": "the read stopped at its bound: older failures are left out"},
            "hidden": {"type": "integer", "description": "dismissed groups left out"},
        }
    )
    return {"FailureGroup": group, "FailureGroups": groups}
