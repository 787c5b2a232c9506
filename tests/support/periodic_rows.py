"""Periodic tasks the site would refuse to save, written straight into the database, as the admin,
a script or an older release could leave them: every page and list must show such a row with
its error, never fail on it."""

from __future__ import annotations

from datetime import UTC, datetime

from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

from tasks_app.models import RunLimit


def _crontab(minute="0", hour="0", day_of_month="*", month_of_year="*", day_of_week="*") -> CrontabSchedule:
    return CrontabSchedule.objects.create(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )


def _interval(every: int, period: str) -> IntervalSchedule:
    return IntervalSchedule.objects.create(every=every, period=period)  # create() runs no validators


# name -> (the schedule row's field and row, RunLimit's count or None, PeriodicTask's other fields)
ROWS = {
    # Four such schedules: each saved, then every page answered 500 (the runs overflow after year 9999).
    "bad yearly 8000": lambda: ("crontab", _crontab(day_of_month="1", month_of_year="1"), 8000, {}),
    "bad 1000 days 5000": lambda: ("interval", _interval(1000, "days"), 5000, {}),
    "bad feb 29 10000": lambda: ("crontab", _crontab(day_of_month="29", month_of_year="2"), 10_000, {}),
    "bad dec 31 9000": lambda: ("crontab", _crontab(day_of_month="31", month_of_year="12"), 9000, {}),
    # Values the grammar never writes.
    "bad every 0 seconds": lambda: ("interval", _interval(0, "seconds"), None, {}),
    "bad every 2**31 days": lambda: ("interval", _interval(2**31 - 1, "days"), None, {}),
    "bad weekday 7": lambda: ("crontab", _crontab(day_of_week="7"), None, {}),
    "bad one-off in 9999": lambda: (
        "clocked",
        ClockedSchedule.objects.create(clocked_time=datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
        None,
        {"one_off": True},
    ),
    "bad start in 9999": lambda: (
        "interval",
        _interval(1, "hours"),
        3,
        {"start_time": datetime(9999, 12, 31, 23, 0, tzinfo=UTC)},
    ),
}


def undescribable_rows() -> dict[str, PeriodicTask]:
    """Every row of ROWS, enabled, by name."""
    made = {}
    for name, build in ROWS.items():
        field, schedule, times, fields = build()
        task = PeriodicTask.objects.create(
            name=name, task="tasks_app.tasks.echo", args='["x"]', **{field: schedule}, **fields
        )
        if times is not None:
            RunLimit.objects.create(periodic_task=task, max_runs=times)
        made[name] = task
    return made


# What each row's summary says instead of its runs (free of quotes, which a page escapes).
ERRORS = {
    "bad yearly 8000": "would still be running after 9999-12-30, the last date this site can count to",
    "bad 1000 days 5000": "would still be running after 9999-12-30",
    "bad feb 29 10000": "would still be running after 9999-12-30",
    "bad dec 31 9000": "would still be running after 9999-12-30",
    "bad every 0 seconds": "is not an interval this site can count",
    "bad every 2**31 days": "is not an interval this site can count",
    "bad weekday 7": "is not one Celery can read",
    "bad one-off in 9999": "is past 9999-12-30, the last date this site can show",
    "bad start in 9999": "would not run before 9999-12-30",
}
