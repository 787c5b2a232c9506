"""What a page shows about a periodic task: its schedule in its own words and in plain
language, when it runs next, and how a bounded one stands (runs left, or finished)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from django.db.models import OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import access, catalog, schedules
from tasks_app.models import TaskRecord
from tasks_app.selectors import pagination

logger = logging.getLogger(__name__)

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
    runs: RunStats | None = None  # its runs as the runs table lists them (for a given user)
    # Why its schedule cannot be described (a row written in the admin or the database): pages show
    # this in place of its runs, and the rest of the page as usual.
    error: str | None = None

    @property
    def next_run(self) -> datetime | None:
        return self.next_runs[0] if self.next_runs else None

    @property
    def task_name(self) -> str:
        """The task's name as the rest of the site writes it (`echo`, not `tasks_app.tasks.echo`);
        a task outside the catalog (set in the admin) by its Celery name."""
        entry = catalog.by_task_name(self.task.task)
        return entry.name if entry else self.task.task

    @property
    def explanation(self) -> str:
        """The plain-language description, or nothing when it only repeats the schedule's text
        ("every 10 seconds, 3 times")."""
        return "" if self.description.casefold() == self.schedule_text.casefold() else self.description


@dataclass(frozen=True)
class RunStats:
    """A periodic task's runs, read from the runs themselves (the records the runs table lists), so
    that the numbers a page shows agree with it: how many (counted up to a cap), how many a person
    sent with Run now, and the latest. Beat's own counter (total_run_count) is reset when a one-off
    or a schedule starts again, and django-celery-beat blanks last_run_at on every disable."""

    count: int
    more: bool  # more than `count` runs: the count stopped at its cap
    by_hand: int  # of those counted
    last: datetime | None

    def __str__(self) -> str:
        text = f"{self.count:,}{'+' if self.more else ''}"
        return text + (f" ({self.by_hand} by hand)" if self.by_hand else "")

    def as_json(self) -> dict:
        return {"count": self.count, "more": self.more, "by_hand": self.by_hand}


def with_run_stats(periodic_tasks, user, cap: int = 100):
    """`periodic_tasks` (a PeriodicTask queryset) with each row's runs as `user` may see them,
    counted up to `cap` + 1 and the latest, in the same query: each count is one index range read
    that stops after `cap` + 1 rows, however many runs a task has (TaskRecord's periodic index)."""
    record, periodic = TaskRecord._meta.db_table, PeriodicTask._meta.db_table
    runs = TaskRecord.objects.filter(periodic_task_name=OuterRef("name"))
    owner, params = "", []
    if not access.is_open(user):
        runs, owner, params = runs.filter(owner_id=user.pk), " AND r.owner_id = %s", [user.pk]
    # Table and column names from the models' metadata; the only value, the user's id, is a parameter.
    newest = (
        f"SELECT r.by_hand FROM {record} r WHERE r.periodic_task_name = {periodic}.name{owner} "  # noqa: S608
        f"ORDER BY r.created_at DESC, r.id DESC LIMIT {int(cap) + 1}"
    )
    return periodic_tasks.annotate(
        runs_counted=RawSQL(f"SELECT COUNT(*) FROM ({newest}) newest", params),  # noqa: S608, S611
        runs_by_hand=RawSQL(f"SELECT COUNT(*) FROM ({newest}) newest WHERE newest.by_hand", params),  # noqa: S608, S611
        runs_last=Subquery(runs.order_by("-created_at", "-id").values("created_at")[:1]),
    )


def run_stats(task: PeriodicTask, cap: int) -> RunStats | None:
    """The runs with_run_stats() read for `task`; None when it was not read with them."""
    if not hasattr(task, "runs_counted"):
        return None
    return RunStats(min(task.runs_counted, cap), task.runs_counted > cap, task.runs_by_hand, task.runs_last)


def summarize(task: PeriodicTask, count: int = 1, now: datetime | None = None, runs_cap: int = 100) -> PeriodicSummary:
    """What pages show of `task`; its runs too, when it was read through with_run_stats().

    Never fails for a row it cannot describe (one written in the admin or straight into the
    database): the summary then carries the error, so that one row cannot break a page or a list
    for everyone. Only a database error goes on up.
    """
    try:
        return _summarize(task, count, now or timezone.now(), runs_cap)
    except DatabaseError:
        raise
    except schedules.ScheduleError as exc:
        return _undescribed(task, exc.message, runs_cap)
    except Exception as exc:  # a row's values past what the schedule code foresaw: say so, log it
        logger.exception("Periodic task %r cannot be described", task.name)
        error = f"Its schedule cannot be described ({type(exc).__name__}: {exc}); change it, or delete the task."
        return _undescribed(task, error, runs_cap)


def _summarize(task: PeriodicTask, count: int, now: datetime, runs_cap: int) -> PeriodicSummary:
    tz = _zone(task)
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
            after = task.last_run_at or task.date_changed or now
            step = schedules.interval_delta(spec)
            if now - after > step:
                after = now - step
        upcoming = schedules.next_runs(spec, tz=tz, after=after, count=count, runs_done=task.total_run_count)
        runs_left = schedules.run_summary(spec, tz=tz, after=after, runs_done=task.total_run_count)
    return PeriodicSummary(
        task,
        schedules.text_of(spec, tz=tz),
        schedules.describe(spec, tz=tz),
        upcoming,
        runs_left=runs_left,
        finished=_finished(task, spec, now, tz),
        runs=run_stats(task, runs_cap),
    )


def _zone(task: PeriodicTask):
    # A crontab row carries its own zone (the admin can set one); everything else is the site's.
    return task.crontab.timezone if task.crontab_id else timezone.get_default_timezone()


def _undescribed(task: PeriodicTask, error: str, runs_cap: int) -> PeriodicSummary:
    """The summary of a row whose schedule cannot be described: its text as far as it can be
    written, the error, and its runs (read from the runs, not the schedule)."""
    try:
        spec = schedules.from_periodic_task(task)
        text = schedules.text_of(spec, tz=_zone(task)) if spec else ""
    except (ValueError, TypeError, ArithmeticError):  # the error already says what is wrong with this row
        text = ""
    return PeriodicSummary(task, text, "", [], error=error, runs=run_stats(task, runs_cap))


def _finished(task: PeriodicTask, spec, now: datetime, tz) -> str | None:
    if isinstance(spec, schedules.ClockedSpec):
        # A one-off runs once; beat then disables it and counts the run.
        if task.total_run_count or task.last_run_at:
            ran = task.last_run_at or spec.at
            return f"Finished: it ran once, at {timezone.localtime(ran, tz):%Y-%m-%d %H:%M:%S}."
        return None
    bounds = getattr(spec, "limits", None)
    if not bounds:
        return None
    if bounds.times is not None and task.total_run_count >= bounds.times:
        return f"Finished after {task.total_run_count} of {bounds.times} runs."
    if bounds.until is not None and now >= bounds.until:
        return f"Finished: its end, {timezone.localtime(bounds.until, tz):%Y-%m-%d %H:%M:%S}, has passed."
    return None


def site_tasks():
    """The site's periodic tasks (not Celery's own result cleanup, which beat installs and
    needs), with their schedule rows and run limits in the same query: summarizing each reads them."""
    return PeriodicTask.objects.exclude(task="celery.backend_cleanup").select_related(
        "crontab", "interval", "clocked", "run_limit"
    )


def page(user, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT) -> pagination.Page:
    """One page of the site's periodic tasks by name (never all of them, never counted), each with
    its runs as `user` may see them."""
    return pagination.paginate(with_run_stats(site_tasks(), user), ORDER, cursor, limit)
