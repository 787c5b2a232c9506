"""Schedule text -> django-celery-beat schedule rows; human description; next run times.

The only package that knows how a schedule is written: this module reads a line and dispatches
to the kind's own module (crontab.py, interval.py, clocked.py; their values and errors are in
specs.py), and turns the result into rows, words and run times. The grammar a person types:

    30 9 * * 1-5           a crontab line, crontab(5) order: minute hour day-of-month month day-of-week
    @daily                 @hourly @daily @midnight @weekly @monthly @yearly @annually
    every 5 minutes        seconds, minutes, hours or days, singular or plural; "every day" is every 1 day
    at 2026-12-01 09:30    once, in the site's time zone (":SS" optional)

Celery, not cron(5), reads the crontab fields, and it differs from cron in ways a person must be told:

- Day of week is 0-6 with Sunday = 0, or sun-sat; Celery refuses 7.
- When day-of-month and day-of-week are both restricted, a day must match BOTH: `crontab.remaining_delta`
  and `_delta_to_next` test month, day and weekday together. cron(5) runs on a day that matches EITHER.
  `0 0 1 * mon` is "the 1st of the month when it is a Monday", not "the 1st and every Monday".

Crontab fields are accepted only where Celery and django-celery-beat's own field validators (which the
admin runs) agree, so every row we save can also be edited in the admin: no wrap-around ranges
(`22-2`), names only in the month and weekday fields, a step only after `*` or a range. A step as big as
the field (`*/90` minutes) is refused too: Celery reads it as "once an hour", which is never what was meant.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import MultipleObjectsReturned
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule

from tasks_app.schedules.clocked import parse_clocked
from tasks_app.schedules.crontab import (
    celery_crontab,
    crontab_fields,
    crontab_kwargs,
    crontab_runs,
    describe_crontab,
    parse_crontab,
    parse_nickname,
)
from tasks_app.schedules.interval import amount, interval_delta, parse_interval
from tasks_app.schedules.specs import (
    MAX_LENGTH,
    ClockedSpec,
    CrontabSpec,
    IntervalSpec,
    ScheduleError,
    Spec,
    all_forms,
    wall_clock,
    zone_name,
)

__all__ = [
    "ClockedSpec",
    "CrontabSpec",
    "IntervalSpec",
    "ScheduleError",
    "Spec",
    "celery_crontab",
    "describe",
    "from_periodic_task",
    "next_runs",
    "parse",
    "save_schedule",
    "text_of",
]


def parse(text: str, *, tz: ZoneInfo, now: datetime) -> Spec:
    """The spec `text` asks for; `tz` is the site's zone (one-off times are read in it), `now` the time."""
    text = _checked_text(text, tz, now)
    words = text.split()
    first = words[0].lower()
    if first.startswith("@"):
        return parse_nickname(text.lower())
    if first == "every":
        return parse_interval(words[1:])
    if first == "at":
        return parse_clocked(text[len(words[0]) :].strip(), tz, now)
    return parse_crontab(words, text, tz, now)


def text_of(spec: Spec, *, tz: ZoneInfo) -> str:
    """The canonical text of `spec` in the grammar: parse(text_of(spec)) == spec."""
    if isinstance(spec, CrontabSpec):
        return " ".join(crontab_fields(spec))
    if isinstance(spec, IntervalSpec):
        return f"every {amount(spec)}"
    return f"at {wall_clock(spec.at, tz)}"


def describe(spec: Spec, *, tz: ZoneInfo) -> str:
    """Plain English, naming the time zone wherever the time of day matters."""
    if isinstance(spec, CrontabSpec):
        return f"{describe_crontab(spec)} ({zone_name(tz)})"
    if isinstance(spec, IntervalSpec):
        return f"Every {amount(spec)}"
    return f"Once, at {wall_clock(spec.at, tz)} ({zone_name(tz)})"


def next_runs(spec: Spec, *, tz: ZoneInfo, after: datetime, count: int = 5) -> list[datetime]:
    """Up to `count` run times strictly after `after`, as aware datetimes in `tz`.

    An interval counts from `after` in elapsed time (beat sends the first run one interval after it
    first sees the row). A crontab is read in `tz` wall-clock time, as beat reads it: a wall time
    that a DST change skips runs at the time it becomes (02:30 -> 03:30), and one that happens
    twice runs at its first occurrence (fold=0).
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("next_runs() needs a timezone-aware `after`.")
    if count <= 0:
        return []
    if isinstance(spec, CrontabSpec):
        try:
            schedule = celery_crontab(spec)
        except ValueError:  # a row edited into something Celery cannot read: beat cannot run it either
            return []
        return crontab_runs(schedule, tz, after, count)
    if isinstance(spec, IntervalSpec):
        start, step = after.astimezone(UTC), interval_delta(spec)
        # UTC arithmetic: "every 2 hours" is two hours of elapsed time even across a DST change.
        return [(start + k * step).astimezone(tz) for k in range(1, count + 1)]
    return [spec.at.astimezone(tz)] if spec.at > after else []


def save_schedule(spec: Spec, *, tz: ZoneInfo) -> tuple[str, object]:
    """Get or create the django-celery-beat row for `spec`: (PeriodicTask field name, row).

    Opens no transaction of its own: the caller saves the PeriodicTask in the same one.
    """
    if isinstance(spec, CrontabSpec):
        lookup = {**crontab_kwargs(spec), "timezone": tz}
        return "crontab", _get_or_create(CrontabSchedule, lookup)
    if isinstance(spec, IntervalSpec):
        return "interval", _get_or_create(IntervalSchedule, {"every": spec.every, "period": spec.period})
    return "clocked", _get_or_create(ClockedSchedule, {"clocked_time": spec.at})


def from_periodic_task(task) -> Spec | None:
    """The spec of a PeriodicTask's crontab, interval or clocked schedule; None for solar (or none).

    A crontab row carries its own time zone, which the spec does not: read it from `task.crontab.timezone`.
    """
    if task.crontab_id:
        row = task.crontab
        return CrontabSpec(row.minute, row.hour, row.day_of_month, row.month_of_year, row.day_of_week)
    if task.interval_id:
        return IntervalSpec(task.interval.every, task.interval.period)
    if task.clocked_id:
        return ClockedSpec(task.clocked.clocked_time.astimezone(UTC))
    return None


# --- Whole text ------------------------------------------------------------------------------


def _checked_text(text, tz: ZoneInfo, now: datetime) -> str:
    if not isinstance(text, str):
        raise ScheduleError(f"The schedule must be text. {all_forms(tz, now)}")
    text = text.strip()
    if not text:
        raise ScheduleError(f"The schedule is empty. {all_forms(tz, now)}")
    if len(text) > MAX_LENGTH:
        raise ScheduleError(
            f"The schedule is {len(text)} characters long; the most is {MAX_LENGTH}. {all_forms(tz, now)}"
        )
    for char in text:
        # Tabs may separate crontab fields; any other control or invisible format character is
        # a paste accident at best.
        if char != "\t" and unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            raise ScheduleError(
                f"The schedule contains a control character (U+{ord(char):04X}); "
                f"write it on one line with ordinary spaces. {all_forms(tz, now)}"
            )
    return text


def _get_or_create(model, lookup: dict):
    try:
        row, _created = model.objects.get_or_create(**lookup)
    except MultipleObjectsReturned:
        # The admin can make duplicates (no unique constraint); any of them will do, the oldest is stable.
        row = model.objects.filter(**lookup).order_by("pk").first()
    return row
