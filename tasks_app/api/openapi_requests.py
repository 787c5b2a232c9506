"""What a request to the API may carry, for the OpenAPI document (tasks_app/api/openapi.py): its
path, page and filter parameters, each as strict as the server, and an example body from the catalog."""

from __future__ import annotations

from tasks_app import catalog, validation
from tasks_app.api.openapi_schemas import printable, ref
from tasks_app.selectors import pagination


def param(name: str, where: str, schema: dict, description: str, required: bool = False) -> dict:
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


def text(**schema) -> dict:
    """A query value of free text (sent empty: allowEmptyValue, in _param)."""
    return {"type": "string", "minLength": 1, "maxLength": validation.MAX_TEXT_CHARS, **schema}


def path_params() -> dict:
    return {
        # Any id a task could have (tasks another service sent carry their own): printable, no slash.
        "task_id": param(
            "task_id",
            "path",
            {"type": "string", "minLength": 1, "maxLength": 255, "pattern": printable("/")},
            "the task's id",
        ),
        "pk": param("pk", "path", {"type": "integer", "minimum": 0}, "the periodic task's id"),
    }


def page() -> list[dict]:
    limit = {"type": "integer", "minimum": 1, "maximum": pagination.MAX_LIMIT}
    description = f"page size, 1 to {pagination.MAX_LIMIT} (default {pagination.DEFAULT_LIMIT})"
    return [
        param("limit", "query", limit, description),
        param(
            "cursor", "query", {"type": "string", "minLength": 1}, "opaque: from a previous answer's next or previous"
        ),
    ]


def filters() -> list[dict]:
    day = {"type": "string", "format": "date"}
    return [
        param("task", "query", ref("TaskName"), "a task name"),
        param("state", "query", ref("State"), "a state"),
        param("queue", "query", ref("QueueName"), "a queue"),
        param("date_from", "query", day, "enqueued on or after this day"),
        param("date_to", "query", day, "enqueued on or before this day"),
        param("periodic", "query", text(pattern=printable()), "runs of this periodic task"),
        param("id", "query", text(pattern=printable()), "this task id, or its beginning"),
    ]


def example_task() -> dict:
    """The catalog's first task with its own example arguments: a body POST /api/tasks/ accepts."""
    entry = next(iter(catalog.ENTRIES.values()))
    return {
        "task": entry.name,
        "args": entry.example_args,
        **({"kwargs": entry.example_kwargs} if entry.example_kwargs else {}),
    }
