"""The OpenAPI shapes of `GET /api/stats/` (tasks_app/api/stats.py, tasks_app.selectors.task_stats)."""

from __future__ import annotations

from tasks_app.api.openapi_schemas import INTEGER, STRING, TIME, obj, ref
from tasks_app.selectors import task_stats

SECONDS = {"type": ["number", "null"], "minimum": 0, "description": "seconds; null when no run in the sample says"}
COUNT = {"type": "integer", "minimum": 0}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "succeeded / runs; null with no run"}


def schemas() -> dict:
    window = obj({"runs": COUNT, "succeeded": COUNT, "failed": COUNT, "success_rate": RATE})
    run = obj(
        {
            "task_id": STRING,
            "status": {"type": "string", "enum": list(task_stats.OUTCOMES)},
            "runtime": {"type": "number", "minimum": 0, "description": "seconds"},
            "finished_at": TIME,
            "url": STRING,
        }
    )
    task_type = obj(
        {
            "name": STRING,
            "windows": obj({name: window for name in task_stats.WINDOWS}),
            "sampled": {**COUNT, "description": "the day's newest finished runs the percentiles read"},
            "runtime_p50": SECONDS,
            "runtime_p95": SECONDS,
            "wait_p50": {
                **SECONDS,
                "description": "seconds from sent to started; null for tasks the site did not send",
            },
            "slowest": {"type": "array", "items": run, "maxItems": task_stats.SLOWEST},
        }
    )
    return {
        "TaskStats": obj(
            {
                "generated_at": TIME,
                "cache_seconds": {"type": "number", "minimum": 0},
                "sample_per_type": INTEGER,
                "percentiles_in": {"type": "string", "enum": ["database", "python"]},
                "task_types": {"type": "array", "items": ref("TaskTypeStats")},
            }
        ),
        "TaskTypeStats": task_type,
    }
