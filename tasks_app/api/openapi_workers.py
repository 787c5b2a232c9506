"""The workers' part of the OpenAPI document (tasks_app/api/openapi.py): their paths and shapes, the
actions and their arguments read from tasks_app.services.worker_control."""

from __future__ import annotations

from tasks_app.api.openapi_operations import WRITE, op
from tasks_app.api.openapi_requests import param
from tasks_app.api.openapi_schemas import BOOLEAN, INTEGER, STRING, TIME, nullable, obj, printable, ref
from tasks_app.services import worker_control

STRINGS = {"type": "array", "items": STRING}
HELD = {"type": "array", "items": {"$ref": "#/components/schemas/WorkerTask"}}
ACTIONS = {"type": "array", "items": {"$ref": "#/components/schemas/WorkerAction"}}


def paths() -> dict:
    name = param(
        "name",
        "path",
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": printable("/")},
        "the worker's Celery node name, such as celery@host",
    )
    action = param("action", "path", {"type": "string", "enum": list(worker_control.ACTIONS)}, "the command")
    return {
        "/api/workers/": {
            "get": op(
                "listWorkers",
                "Every worker and the latest control commands (staff)",
                {200: ("the workers", "WorkerList")},
                (403,),
            )
        },
        "/api/workers/{name}/": {
            "get": op(
                "getWorker",
                "One worker as it answers now: its tasks, pool, queues, rate limits, and the commands sent it (staff)",
                {200: ("the worker (answered false: it did not answer)", "WorkerDetail")},
                (403,),
                params=[name],
            )
        },
        "/api/workers/{name}/{action}/": {
            "post": op(
                "controlWorker",
                "Send one worker a control command and answer what it replied (staff); recorded",
                {200: ("sent: `outcome` says whether it answered ok, with an error, or not at all", "WorkerOutcome")},
                (*WRITE, 404, 503),
                params=[name, action],
                body="WorkerCommand",
                optional_body=True,
                example={"n": 1},
            )
        },
    }


def schemas() -> dict:
    outcome = {"type": "string", "enum": ["ok", "error", "no reply"]}
    arguments = {"type": "object", "description": "the command's arguments, as checked"}
    return {
        "WorkerCommand": obj(
            {},
            {
                "n": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": worker_control.MOST_POOL_CHANGE,
                    "description": "pool_grow, pool_shrink: by how many (1 if left out)",
                },
                "task": {**ref("TaskName"), "description": "rate_limit: the task type"},
                "rate_limit": {
                    "type": "string",
                    "pattern": f"^{worker_control.RATE.pattern}$",
                    "description": "rate_limit: 5/s, 10/m, 100/h or a number per second; 0 lifts it",
                },
                "queue": {**ref("QueueName"), "description": "add_consumer, cancel_consumer: the queue"},
            },
            closed=True,
        ),
        "WorkerOutcome": obj(
            {"worker": STRING, "action": STRING, "arguments": arguments, "outcome": outcome, "reply": STRING}
        ),
        "WorkerAction": obj(
            {
                "at": TIME,
                "by": STRING,
                "worker": STRING,
                "action": STRING,
                "arguments": arguments,
                "outcome": outcome,
                "reply": STRING,
            }
        ),
        "WorkerTask": obj({"id": STRING, "name": STRING, "eta": nullable(STRING)}),
        "WorkerList": obj(
            {
                "workers": {
                    "type": "array",
                    "items": obj(
                        {
                            "name": STRING,
                            "state": STRING,
                            "queues": STRINGS,
                            "concurrency": nullable(INTEGER),
                            "running": INTEGER,
                            "processed": INTEGER,
                            "started_at": TIME,
                            "last_seen": TIME,
                        }
                    ),
                },
                "actions": ACTIONS,
            }
        ),
        "WorkerDetail": obj(
            {
                "name": STRING,
                "answered": BOOLEAN,
                "problem": nullable(STRING),
                "pool": nullable(INTEGER),
                "pool_kind": STRING,
                "running": HELD,
                "reserved": HELD,
                "scheduled": HELD,
                "queues": STRINGS,
                "rate_limits": {"type": "object", "additionalProperties": nullable(STRING)},
                "actions": ACTIONS,
            }
        ),
    }
