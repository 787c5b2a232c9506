"""What a page shows about a periodic task: its schedule in its own words and in plain
language, when it runs next, and how a bounded one stands (runs left, or finished)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import pagination, schedules

ORDER = "name"  # unique: the keyset needs no tie-breaker
HOME_LIMIT = 10  # the home page shows the first few; /periodic/ pages through them all


@dataclass(frozen=True)
class PeriodicSummary:
    task: PeriodicTask
    schedule_text: str
    description: str
    next_runs: list[datetime]
    runs_left: str | None = None  # a bounded schedule's runs to come: "5 runs, the last at ..."
    finished: str | None = None  # why a bounded schedule sends no more: "Finished after 5 of 5 runs."

    @property
    def next_run(self) -> datetime | None:
        return self.next_runs[0] if self.next_runs else None


def summarize(task: PeriodicTask, count: int = 1, now: datetime | None = None) -> PeriodicSummary:
    # A crontab row carries its own zone (the admin can set one); everything else is the site's.
    tz = task.crontab.timezone if task.crontab_id else timezone.get_default_timezone()
    now = now or timezone.now()
    spec = schedules.from_periodic_task(task)
    if spec is None:
        return PeriodicSummary(task, str(task.schedule), str(task.schedule), [])
    upcoming: list[datetime] = []
    runs_left = None
    if task.enabled:
        after = now
        if isinstance(spec, schedules.IntervalSpec):
            # Beat counts an interval from the last run, or from when the row was last saved;
            # one that is overdue goes out on beat's next tick.
            period = timedelta(**{spec.period: spec.every})
            after = max(task.last_run_at or task.date_changed or now, now - period)
        upcoming = schedules.next_runs(spec, tz=tz, after=after, count=count, runs_done=task.total_run_count)
        runs_left = schedules.run_summary(spec, tz=tz, after=after, runs_done=task.total_run_count)
    return PeriodicSummary(
        task,
        schedules.text_of(spec, tz=tz),
        schedules.describe(spec, tz=tz),
        upcoming,
        runs_left=runs_left,
        finished=_finished(task, spec, now, tz),
    )


def _finished(task: PeriodicTask, spec, now: datetime, tz) -> str | None:
    bounds = getattr(spec, "limits", None)
    if not bounds:
        return None
    if bounds.times is not None and task.total_run_count >= bounds.times:
        return f"Finished after {task.total_run_count} of {bounds.times} runs."
    if bounds.until is not None and now >= bounds.until:
        return f"Finished: its end, {timezone.localtime(bounds.until, tz):%Y-%m-%d %H:%M:%S}, has passed."
    return None


def stored_json(text: str, default):
    """A PeriodicTask's args or kwargs, which django-celery-beat stores as JSON text; text that is
    not JSON (written by hand in the admin) comes back as it is, for a page to show and bind() to refuse."""
    try:
        return json.loads(text) if text else default
    except ValueError:
        return text


def site_tasks():
    """The site's periodic tasks (not Celery's own result cleanup, which beat installs and
    needs), with their schedule rows and run limits in the same query: summarizing each reads them."""
    return PeriodicTask.objects.exclude(task="celery.backend_cleanup").select_related(
        "crontab", "interval", "clocked", "run_limit"
    )


def page(cursor: str = "", limit: int = pagination.DEFAULT_LIMIT) -> pagination.Page:
    """One page of the site's periodic tasks by name (never all of them, never counted)."""
    return pagination.paginate(site_tasks(), ORDER, cursor, limit)
