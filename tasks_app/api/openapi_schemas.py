"""The JSON shapes of the API, as JSON Schema 2020-12 (what OpenAPI 3.1 uses): the document's components.

Written by hand beside the views that produce them; tests/api/conftest.py validates every JSON answer
the API tests receive against these, so a field added, renamed or retyped in a view fails a test here.
"""

from __future__ import annotations

from celery import states as celery_states

from tasks_app import catalog, validation
from tasks_app.api.openapi_timeline import timeline_schemas
from tasks_app.http import bulk_limits
from tasks_app.states import QUEUED, RUNNING_STATES, STATES

STRING, INTEGER, BOOLEAN, NUMBER = ({"type": kind} for kind in ("string", "integer", "boolean", "number"))
TIME = {"type": ["string", "null"], "format": "date-time"}
RETRIED_AS = {
    "type": ["string", "null"],
    "description": "the id of the latest task that re-ran this one (its retry); null if none did",
}
ANY_JSON = {}  # args, kwargs and results are whatever JSON the task takes or returns
# Every array names its items, even "any JSON": openapi-python-client drops any operation or model
# that uses an array without `items` (OpenAPI 3.1 allows one; that generator does not).
ARGS = {"type": "array", "items": ANY_JSON, "description": "positional arguments, JSON"}
KWARGS = {"type": "object", "description": "keyword arguments, JSON"}


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


# The lists below are read from the code each time the document is built, never written here:
# a catalog entry, a queue or a state added there is in the document at once.


def task_names() -> list[str]:
    return catalog.names()


def queue_names() -> list[str]:
    """The queue names the API accepts (catalog.queue_name)."""
    return catalog.queues()


def running_states() -> list[str]:
    """The states of a task a worker is running now: neither waiting nor finished."""
    return [state for state in STATES if state in RUNNING_STATES]


def printable(extra: str = "") -> str:
    """A pattern for text with none of the characters validation.check_text refuses (nor `extra`)."""
    controls = "".join(f"\\u{code:04x}" for code in range(0x20) if chr(code) not in validation.ALLOWED_CONTROLS)
    return f"^[^{extra}{controls}]*$"


def one_of(names: list[str], description: str) -> dict:
    return {"type": "string", "enum": names, "description": description}


def task_name() -> dict:
    return one_of(task_names(), "a task of the catalog")


def queue() -> dict:
    return one_of(queue_names(), "the queue's short name")


def _task_fields() -> dict:
    return {"task": ref("TaskName"), "args": ARGS, "kwargs": KWARGS, "queue": ref("QueueName")}


def _schedule_fields() -> dict:
    return {
        "schedule": {"type": "string", "description": "schedule text: 'every 5 minutes', a crontab, 'at <date time>'"},
        "name": {"type": "string", "description": "the periodic task's name (one is made up when left out)"},
    }


STATE = ref("State")
STATE_AFTER_REVOKE = {
    "type": "string",
    "enum": [celery_states.REVOKED, *running_states()],
    "description": "REVOKED; or, for a running task revoked without terminate, the state it runs on in: "
    "this run finishes (its revocation is only requested, see `revocation`) and it never runs again",
}
ID = {"type": "string", "description": "the task id (a UUID for tasks this site sent)"}
URL = {"type": "string", "description": "this API's address of the thing"}


def components() -> dict:
    task_fields = _task_fields()
    accepted = obj({"id": ID, "state": {"const": QUEUED}, "url": URL})
    task_link = obj({"id": ID, "url": URL})
    run = obj({"id": ID, "state": STATE, "enqueued_at": TIME, "url": URL})
    periodic = obj(
        {
            "id": INTEGER,
            "name": STRING,
            "task": STRING,
            "args": ARGS,
            "kwargs": KWARGS,
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
            "error": {
                **nullable(STRING),
                "description": "why its schedule cannot be described (a row written in the admin or the "
                "database); its next runs and runs left are then empty. Null for every other",
            },
            "last_run_at": TIME,
            "runs": obj({"count": INTEGER, "more": BOOLEAN, "by_hand": INTEGER}),
            "total_run_count": INTEGER,
            "url": URL,
            "page": STRING,
        }
    )
    return {
        # Named once, so that a generated client has one enum of each, whatever field or filter uses it.
        "TaskName": task_name(),
        "QueueName": queue(),
        "State": one_of(list(STATES), "a task's state"),
        "Error": obj(
            {"error": {"type": "string", "description": "what went wrong, in a sentence"}},
            {"field": {"type": "string", "description": "the field at fault: `queue`, `tasks[3].args`, `id`"}},
            closed=True,
        ),
        "TaskCreate": obj({"task": task_fields["task"]}, {**task_fields, **_schedule_fields()}, closed=True),
        "TaskSpec": obj({"task": task_fields["task"]}, task_fields, closed=True),
        "BulkCreate": obj(
            {"tasks": {"type": "array", "minItems": 1, "maxItems": bulk_limits.most_tasks(), "items": ref("TaskSpec")}},
            closed=True,
        ),
        "Terminate": obj({}, {"terminate": {"type": "boolean", "description": "also kill it if running"}}, closed=True),
        "NoFields": obj({}, closed=True),
        "Accepted": accepted,
        "Retried": obj({**accepted["properties"], "retry_of": ID}),
        "BulkAccepted": obj({"tasks": {"type": "array", "items": task_link}}),
        "Revoked": obj(
            {
                "id": ID,
                "state": STATE_AFTER_REVOKE,
                "previous_state": STATE,
                "revocation": {"type": "string", "description": "what happened, in a sentence"},
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
                "retried_as": RETRIED_AS,
                "attempts": {"type": ["object", "null"]},
                "revoke_requested_at": {
                    **TIME,
                    "description": "when a revoke without terminate was asked for while it ran; null otherwise",
                },
                "timeline": {"type": "array", "items": ref("TimelineEvent"), "description": "its history"},
            }
        ),
        **timeline_schemas(),
        "TaskListItem": obj(
            {
                "id": ID,
                "task": STRING,
                "state": STATE,
                "queue": STRING,
                "periodic_task": nullable(STRING),
                "retry_of": nullable(ID),
                "retried_as": RETRIED_AS,
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
                # Staff (and local mode) also get the optional details.
                "broker": obj({"reachable": BOOLEAN}, {"kind": STRING, "display": STRING, "error": nullable(STRING)}),
                "workers": obj(
                    {"alive": BOOLEAN},
                    {
                        "nodes": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": STRING},
                            "description": "each live worker's name and the queues it consumes",
                        }
                    },
                ),
                "beat": obj({"alive": BOOLEAN}, {"last_tick": TIME, "leader": nullable(STRING)}),
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
