"""Schedule text -> a spec: reads a line and dispatches to the kind's own module (crontab.py,
interval.py, clocked.py; their values and errors are in specs.py, the limits in limits.py).
Pure: no models, no database. The grammar a person types:

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
from datetime import datetime
from zoneinfo import ZoneInfo

from tasks_app.schedules import limits
from tasks_app.schedules.clocked import parse_clocked
from tasks_app.schedules.crontab import parse_crontab, parse_nickname
from tasks_app.schedules.interval import parse_interval
from tasks_app.schedules.preview import next_runs, run_summary
from tasks_app.schedules.specs import MAX_LENGTH, ScheduleError, Spec, all_forms, clocked_example
from tasks_app.schedules.text import text_of


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
