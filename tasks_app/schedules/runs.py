"""When a crontab runs: its next run times in a time zone, walked day by day as Celery reads the
fields, and never past LAST_MOMENT."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from tasks_app.schedules.specs import LAST_MOMENT, LOOKAHEAD

# The last date a crontab's runs are looked for: its wall times convert to UTC in any zone (no
# offset reaches a day); those past LAST_MOMENT are dropped.
_LAST_DAY = LAST_MOMENT.date()


def crontab_runs(schedule: crontab, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """Up to `count` runs strictly after `after`, none past LAST_MOMENT (the walk stops there)."""
    after_utc = after.astimezone(UTC)
    if after_utc >= LAST_MOMENT:
        return []
    # A day early: where a DST change falls back across midnight, the previous date's last wall
    # times can still be later than `after`.
    start = after_utc.astimezone(tz).date() - timedelta(days=1)
    times = [(hour, minute) for hour in sorted(schedule.hour) for minute in sorted(schedule.minute)]
    runs: list[datetime] = []
    horizon = _ahead(start)
    for day in _candidate_days(schedule, start):
        if day > horizon:
            break
        if day.isoweekday() % 7 not in schedule.day_of_week:  # Celery's numbering: Sunday is 0
            continue
        found = _runs_on(day, times, tz, after_utc)
        if found:
            runs += found
            horizon = _ahead(day)
        if len(runs) >= count:
            break
    return runs[:count]


def _ahead(day: date) -> date:
    """How far to look for the next run after `day`: LOOKAHEAD, but not past the last date."""
    return day + LOOKAHEAD if _LAST_DAY - day > LOOKAHEAD else _LAST_DAY


def _runs_on(day: date, times: list[tuple[int, int]], tz: ZoneInfo, after_utc: datetime) -> list[datetime]:
    runs: set[datetime] = set()
    for hour, minute in times:
        wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)  # fold=0: the first occurrence
        # Through UTC and back, as beat does: a wall time the clocks skip (02:30 on a spring-forward
        # night) runs at the time it becomes (03:30), once even if 03:30 is listed too. Compare in
        # UTC, where fold cannot mislead.
        run = wall.astimezone(UTC)
        if after_utc < run <= LAST_MOMENT:
            runs.add(run)
    return [run.astimezone(tz) for run in sorted(runs)]


def _candidate_days(schedule: crontab, start: date):
    """Every real date from `start` to the last date whose month and day of month the crontab
    allows, in order."""
    months, days = sorted(schedule.month_of_year), sorted(schedule.day_of_month)
    for year in range(start.year, _LAST_DAY.year + 1):
        for month in months:
            for day_of_month in days:
                try:
                    day = date(year, month, day_of_month)
                except ValueError:  # the 31st of a 30-day month, Feb 29th outside leap years
                    continue
                if start <= day <= _LAST_DAY:
                    yield day
