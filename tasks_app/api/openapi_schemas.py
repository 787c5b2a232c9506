"""The JSON shapes of the API, as JSON Schema 2020-12 (what OpenAPI 3.1 uses): the document's components.

Written by hand beside the views that produce them; tests/api/conftest.py validates every JSON answer
the API tests receive against these, so a field added, renamed or retyped in a view fails a test here.
"""

from __future__ import annotations

from django.conf import settings

from tasks_app import catalog, status

STRING, INTEGER, BOOLEAN, NUMBER = ({"type": kind} for kind in ("string", "integer", "boolean", "number"))
TIME = {"type": ["string", "null"], "format": "date-time"}
ANY_JSON = {}  # args, kwargs and results are whatever JSON the task takes or returns


def nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict, optional: dict | None = None, *, closed: bool = False) -> dict:
    """An object whose `required` properties are always present; `closed` refuses others (request bodies)."""
    schema = {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def page_of(item: str) -> dict:
    link = {"type": ["string", "null"], "description": "the neighbouring page's URL; null at either end"}
    return obj({"results": {"type": "array", "items": ref(item)}, "next": link, "previous": link})


def _queue() -> dict:
    return {"type": "string", "enum": list(settings.QUEUES), "description": "the queue's short name"}


def _task_fields() -> dict:
    return {
        "task": {"type": "string", "description": f"a task of the catalog: {', '.join(catalog.ENTRIES)}"},
        "args": {"type": "array", "description": "positional arguments, JSON"},
        "kwargs": {"type": "object", "description": "keyword arguments, JSON"},
        "queue": _queue(),
    }


def _schedule_fields() -> dict:
    return {
        "schedule": {"type": "string", "description": "schedule text: 'every 5 minutes', a crontab, 'at <date time>'"},
        "name": {"type": "string", "description": "the periodic task's name (one is made up when left out)"},
    }


STATE = {"type": "string", "enum": list(status.STATES)}
ID = {"type": "string", "description": "the task id (a UUID for tasks this site sent)"}
URL = {"type": "string", "description": "this API's address of the thing"}


def components() -> dict:
    task_fields = _task_fields()
    accepted = obj({"id": ID, "state": {"const": status.QUEUED}, "url": URL})
    task_link = obj({"id": ID, "url": URL})
    run = obj({"id": ID, "state": STATE, "enqueued_at": TIME, "url": URL})
    periodic = obj(
        {
            "id": INTEGER,
            "name": STRING,
            "task": STRING,
            "args": {"type": "array"},
            "kwargs": {"type": "object"},
            "queue": STRING,
            "schedule": STRING,
            "description": STRING,
            "time_zone": STRING,
            "enabled": BOOLEAN,
            "one_off": BOOLEAN,
            "next_runs": {"type": "array", "items": TIME},
            "runs_left": nullable(STRING),
            "warnings": {"type": "array", "items": STRING},
            "finished": nullable(STRING),
            "last_run_at": TIME,
            "total_run_count": INTEGER,
            "url": URL,
            "page": STRING,
        }
    )
    return {
        "Error": obj(
            {"error": {"type": "string", "description": "what went wrong, in a sentence"}},
            {"field": {"type": "string", "description": "the field at fault: `queue`, `tasks[3].args`, `id`"}},
            closed=True,
        ),
        "TaskCreate": obj({"task": task_fields["task"]}, {**task_fields, **_schedule_fields()}, closed=True),
        "TaskSpec": obj({"task": task_fields["task"]}, task_fields, closed=True),
        "BulkCreate": obj({"tasks": {"type": "array", "minItems": 1, "items": ref("TaskSpec")}}, closed=True),
        "Terminate": obj({}, {"terminate": {"type": "boolean", "description": "also kill it if running"}}, closed=True),
        "NoFields": obj({}, closed=True),
        "Accepted": accepted,
        "Retried": obj({**accepted["properties"], "retry_of": ID}),
        "BulkAccepted": obj({"tasks": {"type": "array", "items": task_link}}),
        "Revoked": obj(
            {
                "id": ID,
                "state": {"const": "REVOKED"},
                "previous_state": STATE,
                "terminate": BOOLEAN,
                "workers_told": BOOLEAN,
                "url": URL,
            }
        ),
        "RetriedAll": obj(
            {
                "retried": INTEGER,
                "tasks": {"type": "array", "items": task_link},
                "skipped": INTEGER,
                "more_left": BOOLEAN,
            }
        ),
        "RevokedAll": obj(
            {
                "revoked": INTEGER,
                "ids": {"type": "array", "items": ID},
                "skipped": INTEGER,
                "more_left": BOOLEAN,
                "workers_told": BOOLEAN,
            }
        ),
        "Task": obj(
            {
                "id": ID,
                "task": STRING,
                "args": ANY_JSON,
                "kwargs": ANY_JSON,
                "queue": STRING,
                "state": STATE,
                "finished": BOOLEAN,
                "result": ANY_JSON,
                "error": nullable(STRING),
                "traceback": nullable(STRING),
                "worker": nullable(STRING),
                "enqueued_at": TIME,
                "started_at": TIME,
                "finished_at": TIME,
                "runtime_seconds": nullable(NUMBER),
                "progress": {"type": ["object", "null"]},
                "retry_of": nullable(STRING),
                "attempts": {"type": ["object", "null"]},
            }
        ),
        "TaskListItem": obj(
            {
                "id": ID,
                "task": STRING,
                "state": STATE,
                "queue": STRING,
                "periodic_task": nullable(STRING),
                "retry_of": nullable(ID),
                "enqueued_at": TIME,
                "url": URL,
            }
        ),
        "TaskPage": page_of("TaskListItem"),
        "PeriodicCreate": obj(
            {"task": task_fields["task"], "schedule": _schedule_fields()["schedule"]},
            {**task_fields, **_schedule_fields()},
            closed=True,
        ),
        "PeriodicChange": {
            **obj({}, {**_schedule_fields(), **task_fields, "enabled": BOOLEAN}, closed=True),
            "minProperties": 1,
        },
        "Periodic": periodic,
        "PeriodicDetail": obj({**periodic["properties"], "recent_runs": {"type": "array", "items": run}}),
        "PeriodicPage": page_of("Periodic"),
        "SchedulePreview": obj(
            {
                "text": STRING,
                "description": STRING,
                "runs": nullable(STRING),
                "time_zone": STRING,
                "next_runs": {"type": "array", "items": STRING},
            }
        ),
        "Health": obj(
            {
                "status": {"type": "string", "enum": ["ok", "broker unreachable", "starting"]},
                "broker": obj({"reachable": BOOLEAN}),
                "workers": obj({"alive": BOOLEAN}),
                "beat": obj({"alive": BOOLEAN}),
            },
            {"checked_at": TIME},
        ),
        "OpenApi": obj({"openapi": {"const": "3.1.0"}, "info": {"type": "object"}, "paths": {"type": "object"}}),
        "Dashboard": obj(
            {
                "generated_at": TIME,
                "broker": STRING,
                "broker_error": nullable(STRING),
                "checked_at": TIME,
                "queues": {"type": "array", "items": {"type": "object"}},
                "oldest_age_known": BOOLEAN,
                "workers": {"type": "array", "items": {"type": "object"}},
                "beat": {"type": "object"},
                "counts": {"type": "object", "additionalProperties": {"type": "object"}},
                "chart": {"type": "object"},
            }
        ),
    }
