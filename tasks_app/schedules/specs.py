"""The schedule kinds as values (a crontab line, an interval, a one-off time), the error every
parser raises, and the wall-clock formatting their messages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MAX_LENGTH = 200
CRON_EXAMPLE = "30 9 * * 1-5 (09:30, Monday to Friday)"
CRON_ORDER = "minute hour day-of-month month day-of-week"
INTERVAL_EXAMPLE = "every 5 minutes"
# The longest interval or the furthest one-off time: far enough for anything real, and it keeps
# IntervalSchedule.every inside a 32-bit integer column.
MAX_DAYS_AHEAD = 3650
MAX_YEARS_AHEAD = 10
# Feb 29th comes round at most 8 years apart (2096 -> 2104); a crontab with no run in that
# long has none worth listing.
LOOKAHEAD = timedelta(days=8 * 366)


class ScheduleError(ValueError):
    """Text that is not a schedule. `.message` says which part is wrong AND shows a valid example."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
    return format_wall(moment.astimezone(tz))


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
