"""When a spec runs: its next run times under its limits, the shortest gap between runs, and how
many runs a bounded one has left. Pure: no models, no database (the runs of a stored row:
rows.from_periodic_task first)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from tasks_app.schedules import limits
from tasks_app.schedules.crontab import celery_crontab, crontab_fields
from tasks_app.schedules.interval import interval_delta
from tasks_app.schedules.runs import crontab_runs
from tasks_app.schedules.specs import (
    CRON_EXAMPLE,
    LAST_MOMENT,
    MAX_YEARS_AHEAD,
    ClockedSpec,
    CrontabSpec,
    IntervalSpec,
    ScheduleError,
    Spec,
    clocked_example,
    wall_clock,
    zone_name,
)
from tasks_app.schedules.text import text_of


def next_runs(spec: Spec, *, tz: ZoneInfo, after: datetime, count: int = 5, runs_done: int = 0) -> list[datetime]:
    """Up to `count` run times strictly after `after`, as aware datetimes in `tz`: only those that
    will really happen under the spec's limits (`runs_done` of its `times` already sent).

    An interval counts from `after` in elapsed time (beat sends the first run one interval after it
    first sees the row), or starts at `from` when that is still ahead (beat sends the first run then).
    A crontab is read in `tz` wall-clock time, as beat reads it: a wall time that a DST change skips
    runs at the time it becomes (02:30 -> 03:30), and one that happens twice runs at its first
    occurrence (fold=0).
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("next_runs() needs a timezone-aware `after`.")
    if isinstance(spec, ClockedSpec):
        return _one_off_run(spec, tz, after, count)
    bounds = spec.limits
    if bounds.times is not None:
        count = min(count, bounds.times - runs_done)
    if count <= 0:
        return []
    if isinstance(spec, CrontabSpec):
        runs = crontab_runs(_readable_crontab(spec), tz, limits.earliest(after, bounds), count)
    else:
        runs = _interval_runs(spec, tz, after, count)
    return limits.bounded(runs, bounds, runs_done)


def _one_off_run(spec: ClockedSpec, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    if spec.at > LAST_MOMENT:
        raise ScheduleError(
            f"Its one-off time, {wall_clock(spec.at, tz)}, is past {LAST_MOMENT:%Y-%m-%d}, the last date "
            f"this site can show; give it a nearer time, as in: {clocked_example(tz, after)}."
        )
    return [spec.at.astimezone(tz)] if count > 0 and spec.at > after else []


def _readable_crontab(spec: CrontabSpec) -> crontab:
    """Celery's crontab of `spec`, or a ScheduleError naming the line when Celery cannot read it."""
    try:
        return celery_crontab(spec)
    except ValueError as exc:  # a row edited into something Celery cannot read: beat cannot run it either
        raise ScheduleError(
            f"The crontab line {' '.join(crontab_fields(spec))!r} is not one Celery can read ({exc}); "
            f"change it to one such as {CRON_EXAMPLE}."
        ) from None


def _interval_runs(spec: IntervalSpec, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """The next `count` runs of an interval, from `from` when that is still ahead, up to LAST_MOMENT
    (`times` and `until` are limits.bounded's)."""
    step = interval_delta(spec)
    start = spec.limits.start
    if start and start > after:  # beat sends the first run at `from` itself
        origin, first = start.astimezone(UTC), 0
    else:
        origin, first = after.astimezone(UTC), 1
    # Counted, not walked: the runs up to LAST_MOMENT, however far that is.
    last = (LAST_MOMENT - origin) // step
    # UTC arithmetic: "every 2 hours" is two hours of elapsed time even across a DST change.
    return [(origin + k * step).astimezone(tz) for k in range(first, min(first + count, last + 1))]


def shortest_gap(spec: Spec, *, tz: ZoneInfo, after: datetime) -> float | None:
    """The shortest time between two runs in seconds (of the next few, for a crontab); None for one run."""
    if isinstance(spec, IntervalSpec):
        return interval_delta(spec).total_seconds()
    runs = next_runs(spec, tz=tz, after=after, count=10)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(runs)]
    return min(gaps) if gaps else None


def run_summary(spec: Spec, *, tz: ZoneInfo, after: datetime, runs_done: int = 0) -> str | None:
    """How many runs a bounded schedule has left and when the last one is ("5 runs, the last at
    2026-12-24 09:00 (UTC)"); None for a schedule without `times` or `until`.

    Counts at most MAX_TIMES + 1 runs and none past LAST_MOMENT: a schedule whose runs go on past
    it (`@yearly, 8000 times`) cannot be summarised, and is a ScheduleError saying how many fit.
    """
    bounds = getattr(spec, "limits", None)
    if not bounds or (bounds.times is None and bounds.until is None):
        return None
    left = None if bounds.times is None else bounds.times - runs_done
    wanted = limits.MAX_TIMES + 1 if left is None else min(left, limits.MAX_TIMES + 1)
    runs = next_runs(spec, tz=tz, after=after, count=wanted, runs_done=runs_done)
    # Fewer runs than asked for, and not because `until` ended them: the count ran into LAST_MOMENT.
    if len(runs) < wanted and not (bounds.until and bounds.until <= LAST_MOMENT):
        raise ScheduleError(_past_the_last_date(spec, tz, len(runs)))
    return _runs_left(runs, bounds.until, tz)


def _runs_left(runs: list[datetime], until: datetime | None, tz: ZoneInfo) -> str:
    """`runs` (at most MAX_TIMES + 1 of them, the last before `until`) in a sentence."""
    if not runs:
        return "No runs left."
    if len(runs) > limits.MAX_TIMES:
        last = f", the last before {wall_clock(until, tz)} ({zone_name(tz)})" if until else ""
        return f"More than {limits.MAX_TIMES:,} runs{last}."
    plural = "run" if len(runs) == 1 else "runs"
    last = "at" if len(runs) == 1 else "the last at"
    return f"{len(runs):,} {plural}, {last} {wall_clock(runs[-1], tz)} ({zone_name(tz)})."


def _past_the_last_date(spec: Spec, tz: ZoneInfo, fit: int) -> str:
    text = text_of(spec, tz=tz)
    last = f"{LAST_MOMENT:%Y-%m-%d}, the last date this site can count to"
    if not fit:
        return f"{text!r} would not run before {last}. Give it a start ('from') in the next {MAX_YEARS_AHEAD} years."
    return (
        f"{text!r} would still be running after {last}: only {fit:,} of its runs fall before then. "
        f"Write at most {fit:,} times, or give it an end with 'until'."
    )
