"""The OpenAPI parts of the tasks list's export and of acting on chosen tasks (tasks_app.api.export,
tasks_app.api.tasks.retry_all / revoke_all with `ids`): their paths and shapes, added to the document
by tasks_app/api/openapi.py."""

from __future__ import annotations

from django.conf import settings

from tasks_app.api import openapi_requests as inputs
from tasks_app.api.openapi_operations import op
from tasks_app.api.openapi_schemas import BOOLEAN, INTEGER, STRING, nullable, obj, printable, ref
from tasks_app.selectors import export

ID = {"type": "string", "description": "a task id"}


def ids() -> dict:
    most = settings.BULK_ACTION_MAX_TASKS
    item = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": printable()}
    return {
        "type": "array",
        "items": item,
        "minItems": 1,
        "maxItems": most,
        "description": f"act only on these tasks (at most {most}); ids you may not see are skipped, as unknown ones "
        "are",
    }


def export_path() -> dict:
    format_param = inputs.param(
        "format",
        "query",
        {"type": "string", "enum": list(export.FORMATS)},
        "json (the default) or csv",
    )
    operation = op(
        "exportTasks",
        f"The filtered tasks list as CSV or JSON, newest first, at most TASK_EXPORT_MAX_ROWS "
        f"({export.max_rows()}) rows, streamed",
        {200: ("the export: JSON for format=json, CSV (a header line, then a task a line) for csv", "TaskExport")},
        (400,),
        params=[format_param, *inputs.filters()],
    )
    csv_text = {"type": "string", "description": f"CSV with the columns {', '.join(export.COLUMNS)}"}
    operation["responses"]["200"]["content"]["text/csv"] = {"schema": csv_text}
    return {"/api/tasks/export/": {"get": operation}}


def components() -> dict:
    row = obj(
        {
            "id": ID,
            "task": STRING,
            "state": ref("State"),
            "queue": STRING,
            "periodic_task": nullable(STRING),
            "retry_of": nullable(STRING),
            "retried_as": nullable(STRING),
            "enqueued_at": {"type": "string", "format": "date-time"},
        }
    )
    return {
        "TaskExportRow": row,
        "TaskExport": obj(
            {
                "max_rows": INTEGER,
                "results": {"type": "array", "items": ref("TaskExportRow")},
                "truncated": {**BOOLEAN, "description": "true when the filters select more than max_rows tasks"},
            }
        ),
        "ChosenTasks": obj({}, {"ids": ids()}, closed=True),
        "TerminateChosen": obj(
            {}, {"terminate": {**BOOLEAN, "description": "also kill the running ones"}, "ids": ids()}, closed=True
        ),
    }
