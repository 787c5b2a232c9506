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
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from tasks_app.schedules import limits
from tasks_app.schedules.clocked import parse_clocked
from tasks_app.schedules.crontab import (
    celery_crontab,
    crontab_fields,
    describe_crontab,
    parse_crontab,
    parse_nickname,
)
from tasks_app.schedules.interval import amount, interval_delta, parse_interval
from tasks_app.schedules.rows import from_periodic_task, limits_of, save_schedule, save_with_limits
from tasks_app.schedules.runs import crontab_runs
from tasks_app.schedules.specs import (
    CRON_EXAMPLE,
    LAST_MOMENT,
    MAX_LENGTH,
    MAX_YEARS_AHEAD,
    ClockedSpec,
    CrontabSpec,
    IntervalSpec,
    Limits,
    ScheduleError,
    Spec,
    all_forms,
    clocked_example,
    wall_clock,
    zone_name,
)

__all__ = [
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


def parse(text: str, *, tz: ZoneInfo, now: datetime) -> Spec:
    """The spec `text` asks for; `tz` is the site's zone (times are read in it), `now` the time."""
    base, bounds = limits.split(_checked_text(text, tz, now), tz, now)
    words = base.split()
    first = words[0].lower()
    if first == "at":
        if bounds:
            raise ScheduleError(
                "A one-off time runs once: ', N times', 'from' and 'until' go with a crontab line or an "
                f"interval, as in: every 10 seconds, 5 times. A one-off time alone: {clocked_example(tz, now)}."
            )
        return parse_clocked(base[len(words[0]) :].strip(), tz, now)
    spec: Spec
    if first.startswith("@"):
        spec = parse_nickname(base.lower())
    elif first == "every":
        spec = parse_interval(words[1:])
    else:
        spec = parse_crontab(words, base, tz, now)
    if not bounds:
        return spec
    spec = replace(spec, limits=bounds)
    if not next_runs(spec, tz=tz, after=now, count=1):
        raise ScheduleError(
            f"{text_of(spec, tz=tz)!r} never runs: no run of it falls between now, 'from' and 'until'. "
            "Widen the dates, or write the schedule without them."
        )
    run_summary(spec, tz=tz, after=now)  # refused here, before it is saved, if pages could not summarise it
    return spec


def text_of(spec: Spec, *, tz: ZoneInfo) -> str:
    """The canonical text of `spec` in the grammar: parse(text_of(spec)) == spec."""
    if isinstance(spec, CrontabSpec):
        return " ".join(crontab_fields(spec)) + limits.text_of(spec.limits, tz)
    if isinstance(spec, IntervalSpec):
        return f"every {amount(spec)}" + limits.text_of(spec.limits, tz)
    return f"at {wall_clock(spec.at, tz)}"


def describe(spec: Spec, *, tz: ZoneInfo) -> str:
    """Plain English, naming the time zone wherever the time of day matters."""
    if isinstance(spec, ClockedSpec):
        return f"Once, at {wall_clock(spec.at, tz)} ({zone_name(tz)})"
    words = describe_crontab(spec) if isinstance(spec, CrontabSpec) else f"Every {amount(spec)}"
    words += limits.words(spec.limits, tz)
    if isinstance(spec, CrontabSpec) or spec.limits.start or spec.limits.until:
        words += f" ({zone_name(tz)})"
    return words


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
        if spec.at > LAST_MOMENT:
            raise ScheduleError(
                f"Its one-off time, {wall_clock(spec.at, tz)}, is past {LAST_MOMENT:%Y-%m-%d}, the last date "
                f"this site can show; give it a nearer time, as in: {clocked_example(tz, after)}."
            )
        return [spec.at.astimezone(tz)] if count > 0 and spec.at > after else []
    bounds = spec.limits
    if bounds.times is not None:
        count = min(count, bounds.times - runs_done)
    if count <= 0:
        return []
    if isinstance(spec, CrontabSpec):
        try:
            schedule = celery_crontab(spec)
        except ValueError as exc:  # a row edited into something Celery cannot read: beat cannot run it either
            raise ScheduleError(
                f"The crontab line {' '.join(crontab_fields(spec))!r} is not one Celery can read ({exc}); "
                f"change it to one such as {CRON_EXAMPLE}."
            ) from None
        return limits.bounded(crontab_runs(schedule, tz, limits.earliest(after, bounds), count), bounds, runs_done)
    step = interval_delta(spec)
    if bounds.start and bounds.start > after:  # beat sends the first run at `from` itself
        origin, first = bounds.start.astimezone(UTC), 0
    else:
        origin, first = after.astimezone(UTC), 1
    # Counted, not walked: the runs up to LAST_MOMENT, however far that is.
    last = (LAST_MOMENT - origin) // step
    # UTC arithmetic: "every 2 hours" is two hours of elapsed time even across a DST change.
    runs = [(origin + k * step).astimezone(tz) for k in range(first, min(first + count, last + 1))]
    return limits.bounded(runs, bounds, runs_done)


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
    if not runs:
        return "No runs left."
    if len(runs) > limits.MAX_TIMES:
        last = f", the last before {wall_clock(bounds.until, tz)} ({zone_name(tz)})" if bounds.until else ""
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
        # Numbers are read in ASCII digits only, everywhere: str.isdigit() also accepts a superscript
        # two, which int() refuses, and an Arabic-Indic five, which int() silently reads as 5.
        if not char.isascii() and char.isnumeric():
            name = unicodedata.name(char, "a numeric character")
            raise ScheduleError(
                f"The schedule contains {char!r} (U+{ord(char):04X}, {name}); write numbers with the "
                f"digits 0-9. {all_forms(tz, now)}"
            )
    return text
