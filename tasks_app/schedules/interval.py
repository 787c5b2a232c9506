"""Intervals: `every 5 minutes`, `every day`, `every 30 seconds`."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from tasks_app.schedules.specs import INTERVAL_EXAMPLE, MAX_DAYS_AHEAD, MAX_YEARS_AHEAD, IntervalSpec, ScheduleError

UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days"}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
NUMBER = re.compile(r"[0-9]+")
SIGNED_DECIMAL = re.compile(r"[-+]?[0-9]*[.,]?[0-9]+")


def parse_interval(words: list[str]) -> IntervalSpec:
    if not words:
        raise ScheduleError(
            f"Say how often after 'every', as in: {INTERVAL_EXAMPLE} (seconds, minutes, hours or days)."
        )
    if len(words) > 2:
        raise ScheduleError(f"An interval is 'every', a number and a unit, as in: {INTERVAL_EXAMPLE}.")
    amount, unit_word = words if len(words) == 2 else ["1", words[0]]
    if len(words) == 1 and SIGNED_DECIMAL.fullmatch(unit_word):
        raise ScheduleError(f"Say which unit after the number, as in: every {unit_word} minutes.")
    period = _period(unit_word.lower())
    every = _every(amount, period)
    if every * UNIT_SECONDS[period] > MAX_DAYS_AHEAD * UNIT_SECONDS["days"]:
        most = MAX_DAYS_AHEAD * UNIT_SECONDS["days"] // UNIT_SECONDS[period]
        raise ScheduleError(
            f"every {every} {period} is too long: the longest interval is {MAX_YEARS_AHEAD} years "
            f"({most} {period}). For example: {INTERVAL_EXAMPLE}."
        )
    return IntervalSpec(every, period)


def _period(word: str) -> str:
    period = UNITS.get(word.removesuffix("s"))
    if period is None:
        hint = " (for weeks, count days: every 14 days)" if word.startswith("week") else ""
        raise ScheduleError(
            f"{word!r} is not a unit here: use seconds, minutes, hours or days{hint}. For example: {INTERVAL_EXAMPLE}."
        )
    return period


def _every(amount: str, period: str) -> int:
    if NUMBER.fullmatch(amount):
        if int(amount) < 1:
            raise ScheduleError(f"The interval must be at least 1 {period.removesuffix('s')}, as in: every 5 {period}.")
        return int(amount)
    if SIGNED_DECIMAL.fullmatch(amount):
        raise ScheduleError(
            f"The interval must be a positive whole number, not {amount!r}{_in_smaller_unit(amount, period)}. "
            f"For example: every 5 {period}."
        )
    raise ScheduleError(f"{amount!r} is not a number. An interval looks like: {INTERVAL_EXAMPLE}.")


def _in_smaller_unit(amount: str, period: str) -> str:
    """For a positive fraction: the same length in a smaller unit, when that is whole ("1.5 hours")."""
    try:
        value = Decimal(amount.replace(",", "."))
    except InvalidOperation:
        return ""
    if value <= 0:
        return ""
    seconds = value * UNIT_SECONDS[period]
    for unit in ("days", "hours", "minutes", "seconds"):
        if UNIT_SECONDS[unit] < UNIT_SECONDS[period] and seconds % UNIT_SECONDS[unit] == 0:
            return f"; {amount} {period} is every {int(seconds) // UNIT_SECONDS[unit]} {unit}"
    return ""


def amount(spec: IntervalSpec) -> str:
    return spec.period.removesuffix("s") if spec.every == 1 else f"{spec.every} {spec.period}"


def interval_delta(spec: IntervalSpec) -> timedelta:
    """The time between two runs; ScheduleError for a row (made in the admin or the database) whose
    interval is not a positive length of time."""
    try:
        step = timedelta(**{spec.period: spec.every})
    except (TypeError, OverflowError):  # an unknown period, or more days than a timedelta holds
        step = None
    if step is None or step <= timedelta(0):
        raise ScheduleError(
            f"'every {spec.every} {spec.period}' is not an interval this site can count; "
            f"change it to a positive one, such as: {INTERVAL_EXAMPLE}."
        )
    return step
