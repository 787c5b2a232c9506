"""A spec as text: its canonical line in the grammar (parsing.py reads it back) and its plain-English
description. Pure: no models, no database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tasks_app.schedules import limits
from tasks_app.schedules.crontab import crontab_fields, describe_crontab
from tasks_app.schedules.interval import amount
from tasks_app.schedules.specs import ClockedSpec, CrontabSpec, IntervalSpec, Spec, wall_clock, zone_name


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
