"""Schedule text -> django-celery-beat schedule rows; human description; next run times.

The only package that knows how a schedule is written. This module only re-exports; the work is in

    parsing.py   text -> a spec (the grammar, and what Celery reads differently from cron(5))
    text.py      a spec -> its canonical text and its plain-English description
    preview.py   a spec -> its next run times, shortest gap, runs left
    rows.py      a spec <-> django-celery-beat rows: the only part that touches the database

with the kinds' own modules (crontab.py, interval.py, clocked.py, limits.py, runs.py; values and
errors in specs.py). All but rows.py are pure: they import no model and run without a database.
rows.py is imported on first use of its names, so that importing the parser does not load the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks_app.schedules.crontab import celery_crontab
from tasks_app.schedules.interval import interval_delta
from tasks_app.schedules.parsing import parse
from tasks_app.schedules.preview import next_runs, run_summary, shortest_gap
from tasks_app.schedules.specs import (
    LAST_MOMENT,
    ClockedSpec,
    CrontabSpec,
    IntervalSpec,
    Limits,
    ScheduleError,
    Spec,
)
from tasks_app.schedules.text import describe, text_of

if TYPE_CHECKING:
    from tasks_app.schedules.rows import from_periodic_task, limits_of, save_schedule, save_with_limits

__all__ = [
    "LAST_MOMENT",
    "ClockedSpec",
    "CrontabSpec",
    "IntervalSpec",
    "Limits",
    "ScheduleError",
    "Spec",
    "celery_crontab",
    "describe",
    "from_periodic_task",
    "interval_delta",
    "limits_of",
    "next_runs",
    "parse",
    "run_summary",
    "save_schedule",
    "save_with_limits",
    "shortest_gap",
    "text_of",
]

_ROWS = frozenset({"from_periodic_task", "limits_of", "save_schedule", "save_with_limits"})


def __getattr__(name: str):
    """rows.py's names, imported on first use (PEP 562): they need Django's models loaded."""
    if name in _ROWS:
        from tasks_app.schedules import rows

        return getattr(rows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
