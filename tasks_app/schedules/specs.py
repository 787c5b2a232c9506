"""The schedule kinds as values (a crontab line, an interval, a one-off time), the error every
parser raises, and the wall-clock formatting their messages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tasks_app.errors import UserError

MAX_LENGTH = 200
CRON_EXAMPLE = "30 9 * * 1-5 (09:30, Monday to Friday)"
CRON_ORDER = "minute hour day-of-month month day-of-week"
INTERVAL_EXAMPLE = "every 5 minutes"
# The longest interval or the furthest one-off time: far enough for anything real, and it keeps
# IntervalSchedule.every inside a 32-bit integer column.
MAX_DAYS_AHEAD = 3650
MAX_YEARS_AHEAD = 10
# Feb 29th on a given weekday comes round at most 40 years apart (a Monday: 2072 -> 2112), the
# longest wait of any crontab Celery can read; one with no run in that long has none at all.
LOOKAHEAD = timedelta(days=40 * 366)
# The latest run time this site computes: datetime ends with the year 9999, and a day's slack
# keeps every run before it convertible into any zone. Runs past it cannot be counted or shown.
LAST_MOMENT = datetime(9999, 12, 30, tzinfo=UTC)


class ScheduleError(UserError, ValueError):
    """Text that is not a schedule. `.message` says which part is wrong AND shows a valid example."""

    def __init__(self, message: str):
        super().__init__(message, field="schedule")


@dataclass(frozen=True)
class Limits:
    """When a repeating schedule starts and stops: `, N times`, `from ...`, `until ...`.

    Stored on the PeriodicTask (start_time, expires) and in RunLimit (times), where beat honours
    them; a row edited in the admin reads back the same way.
    """

    times: int | None = None  # beat sends this many runs, then disables the task
    start: datetime | None = None  # no run before this (aware, UTC)
    until: datetime | None = None  # no run at or after this (aware, UTC)

    def __bool__(self) -> bool:
        return self.times is not None or self.start is not None or self.until is not None


NO_LIMITS = Limits()


@dataclass(frozen=True)
class CrontabSpec:
    """The strings Celery's crontab() and django_celery_beat's CrontabSchedule take, and its limits."""

    minute: str
    hour: str
    day_of_month: str
    month_of_year: str
    day_of_week: str
    limits: Limits = NO_LIMITS


@dataclass(frozen=True)
class IntervalSpec:
    every: int
    period: str  # "days", "hours", "minutes" or "seconds": IntervalSchedule.PERIOD_CHOICES values
    limits: Limits = NO_LIMITS


@dataclass(frozen=True)
class ClockedSpec:
    at: datetime  # timezone-aware, in UTC


Spec = CrontabSpec | IntervalSpec | ClockedSpec


def clocked_example(tz: ZoneInfo, now: datetime) -> str:
    """A one-off time that is valid right now: tomorrow at 09:00 in the site's zone."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return f"at {tomorrow.isoformat()} 09:00"


def wall_clock(moment: datetime, tz: ZoneInfo) -> str:
    try:
        return format_wall(moment.astimezone(tz))
    except OverflowError:  # a stored time at the calendar's very edge, which the zone's offset pushes off it
        return format_wall(moment.astimezone(UTC)) + " UTC"


def format_wall(local: datetime) -> str:
    """A wall-clock time as the grammar writes it: seconds only when there are some."""
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return f"{text}:{local.second:02d}" if local.second else text


def zone_name(tz) -> str:
    return getattr(tz, "key", None) or str(tz)


def all_forms(tz: ZoneInfo, now: datetime) -> str:
    return (
        f"Write a crontab line ({CRON_ORDER}, e.g. {CRON_EXAMPLE}), a nickname (@daily), "
        f"an interval ({INTERVAL_EXAMPLE}) or a one-off time ({clocked_example(tz, now)})."
    )
