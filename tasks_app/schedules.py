"""Schedule text -> django-celery-beat schedule rows; human description; next run times.

The only module that knows how a schedule is written. The grammar a person types:

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

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from celery.schedules import ParseException, crontab, crontab_parser
from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.core.exceptions import MultipleObjectsReturned, ValidationError
from django_celery_beat import validators
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule

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
class CrontabSpec:
    """The strings Celery's crontab() and django_celery_beat's CrontabSchedule take."""

    minute: str
    hour: str
    day_of_month: str
    month_of_year: str
    day_of_week: str


@dataclass(frozen=True)
class IntervalSpec:
    every: int
    period: str  # "days", "hours", "minutes" or "seconds": IntervalSchedule.PERIOD_CHOICES values


@dataclass(frozen=True)
class ClockedSpec:
    at: datetime  # timezone-aware, in UTC


Spec = CrontabSpec | IntervalSpec | ClockedSpec


def parse(text: str, *, tz: ZoneInfo, now: datetime) -> Spec:
    """The spec `text` asks for; `tz` is the site's zone (one-off times are read in it), `now` the time."""
    text = _checked_text(text, tz, now)
    words = text.split()
    first = words[0].lower()
    if first.startswith("@"):
        return _parse_nickname(text.lower())
    if first == "every":
        return _parse_interval(words[1:])
    if first == "at":
        return _parse_clocked(text[len(words[0]) :].strip(), tz, now)
    return _parse_crontab(words, text, tz, now)


def text_of(spec: Spec, *, tz: ZoneInfo) -> str:
    """The canonical text of `spec` in the grammar: parse(text_of(spec)) == spec."""
    if isinstance(spec, CrontabSpec):
        return " ".join(_crontab_fields(spec))
    if isinstance(spec, IntervalSpec):
        return f"every {_amount(spec)}"
    return f"at {_wall_clock(spec.at, tz)}"


def describe(spec: Spec, *, tz: ZoneInfo) -> str:
    """Plain English, naming the time zone wherever the time of day matters."""
    if isinstance(spec, CrontabSpec):
        return f"{_describe_crontab(spec)} ({_zone_name(tz)})"
    if isinstance(spec, IntervalSpec):
        return f"Every {_amount(spec)}"
    return f"Once, at {_wall_clock(spec.at, tz)} ({_zone_name(tz)})"


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
        return _crontab_runs(schedule, tz, after, count)
    if isinstance(spec, IntervalSpec):
        start, step = after.astimezone(UTC), _interval_delta(spec)
        # UTC arithmetic: "every 2 hours" is two hours of elapsed time even across a DST change.
        return [(start + k * step).astimezone(tz) for k in range(1, count + 1)]
    return [spec.at.astimezone(tz)] if spec.at > after else []


def save_schedule(spec: Spec, *, tz: ZoneInfo) -> tuple[str, object]:
    """Get or create the django-celery-beat row for `spec`: (PeriodicTask field name, row).

    Opens no transaction of its own: the caller saves the PeriodicTask in the same one.
    """
    if isinstance(spec, CrontabSpec):
        lookup = {**_crontab_kwargs(spec), "timezone": tz}
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


def celery_crontab(spec: CrontabSpec) -> crontab:
    """Celery's own crontab for `spec`. Keywords, always: its positional order is not cron's."""
    return crontab(**_crontab_kwargs(spec))


# --- Whole text ------------------------------------------------------------------------------


def _checked_text(text, tz: ZoneInfo, now: datetime) -> str:
    if not isinstance(text, str):
        raise ScheduleError(f"The schedule must be text. {_forms(tz, now)}")
    text = text.strip()
    if not text:
        raise ScheduleError(f"The schedule is empty. {_forms(tz, now)}")
    if len(text) > MAX_LENGTH:
        raise ScheduleError(f"The schedule is {len(text)} characters long; the most is {MAX_LENGTH}. {_forms(tz, now)}")
    for char in text:
        # Tabs may separate crontab fields; any other control or invisible format character is
        # a paste accident at best.
        if char != "\t" and unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            raise ScheduleError(
                f"The schedule contains a control character (U+{ord(char):04X}); "
                f"write it on one line with ordinary spaces. {_forms(tz, now)}"
            )
    return text


def _forms(tz: ZoneInfo, now: datetime) -> str:
    return (
        f"Write a crontab line ({CRON_ORDER}, e.g. {CRON_EXAMPLE}), a nickname (@daily), "
        f"an interval ({INTERVAL_EXAMPLE}) or a one-off time ({_clocked_example(tz, now)})."
    )


# --- Crontab ---------------------------------------------------------------------------------

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


@dataclass(frozen=True)
class _Field:
    attribute: str  # CrontabSpec / CrontabSchedule field
    label: str  # as messages name it
    low: int  # Celery's bounds: crontab_parser(max_=high - low + 1, min_=low)
    high: int
    rule: str
    once_per: str  # how often a too-big step would match
    names: tuple[str, ...] = ()  # full names, from `low` up; the first three letters are the abbreviation

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    def number(self, word: str) -> int | None:
        """The number a name stands for (3-letter abbreviation or full English name), else None."""
        for offset, name in enumerate(self.names):
            if word in (name, name[:3]):
                return self.low + offset
        return None


FIELDS = (
    _Field("minute", "minute", 0, 59, "minutes are 0-59", "an hour"),
    _Field("hour", "hour", 0, 23, "hours are 0-23", "a day"),
    _Field("day_of_month", "day-of-month", 1, 31, "days of the month are 1-31", "a month"),
    _Field("month_of_year", "month", 1, 12, "months are 1-12 or jan-dec", "a year", MONTH_NAMES),
    _Field("day_of_week", "day-of-week", 0, 6, "days of the week are 0-6 (Sunday=0) or sun-sat", "a week", DAY_NAMES),
)

NICKNAMES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# One comma-separated part of a field: *, a value or a range, then an optional /step.
PART = re.compile(r"(?:(?P<star>\*)|(?P<start>[0-9]+|[a-z]+)(?:-(?P<end>[0-9]+|[a-z]+))?)(?:/(?P<step>[0-9]*))?")
SYNTAX = "write *, a number, a range (1-5), a list (1,15) or a step (*/15)"
CRON_WORD = re.compile(r"[0-9a-z*/,\-]+")


def _parse_nickname(word: str) -> CrontabSpec:
    if word not in NICKNAMES:
        known = ", ".join(NICKNAMES)
        raise ScheduleError(f"Unknown nickname {word!r}; use one of {known}, or a crontab line such as {CRON_EXAMPLE}.")
    return _crontab_spec(NICKNAMES[word].split())


def _parse_crontab(words: list[str], text: str, tz: ZoneInfo, now: datetime) -> CrontabSpec:
    if len(words) != len(FIELDS):
        looks_like_cron = all(CRON_WORD.fullmatch(word.lower()) for word in words) and re.search(r"[0-9*]", text)
        if not looks_like_cron:
            raise ScheduleError(f"{text!r} is not a schedule. {_forms(tz, now)}")
        raise ScheduleError(
            f"A crontab line has 5 fields ({CRON_ORDER}), but {text!r} has {len(words)}. A valid line: {CRON_EXAMPLE}."
        )
    return _crontab_spec(words)


def _crontab_spec(words: list[str]) -> CrontabSpec:
    values = {field.attribute: _crontab_field(field, word) for field, word in zip(FIELDS, words, strict=True)}
    spec = CrontabSpec(**values)
    try:
        celery_crontab(spec)
    except ValueError:
        # The one check that spans fields: a day of month that no chosen month has (30 2).
        raise ScheduleError(
            f"The day-of-month field {spec.day_of_month!r} never occurs in the month field "
            f"{spec.month_of_year!r}, so this would never run. A valid line: {CRON_EXAMPLE}."
        ) from None
    return spec


def _crontab_field(field: _Field, raw: str) -> str:
    """`raw` checked the way Celery and django-celery-beat read it, in canonical form (lower case,
    abbreviated names, plain numbers)."""
    parts = [_crontab_part(field, raw, part) for part in raw.lower().split(",")]
    value = ",".join(parts)
    # Belt and braces: whatever passed above must also pass Celery's parser and the admin's validator.
    try:
        crontab_parser(field.size, field.low).parse(value)
        getattr(validators, f"{field.attribute}_validator")(value)
    except (ParseException, ValueError, ValidationError):
        raise _field_error(field, raw, f"{field.rule}; {SYNTAX}") from None
    max_length = CrontabSchedule._meta.get_field(field.attribute).max_length
    if len(value) > max_length:
        raise _field_error(field, raw, f"it is {len(value)} characters long and at most {max_length} fit")
    return value


def _crontab_part(field: _Field, raw: str, part: str) -> str:
    match = PART.fullmatch(part)
    if not match:
        raise _field_error(field, raw, f"{field.rule}; {SYNTAX}")
    star, start, end, step = match.group("star", "start", "end", "step")
    if star:
        text = "*"
    else:
        first = _crontab_value(field, raw, start)
        text = _canonical(field, start, first)
        if end is not None:
            last = _crontab_value(field, raw, end)
            if last < first:
                # Celery would wrap round; django-celery-beat's validator refuses, and so do we.
                top, bottom = (field.names[-1][:3], field.names[0][:3]) if start.isalpha() else (field.high, field.low)
                raise _field_error(
                    field, raw, f"a range goes from low to high; write {start}-{top},{bottom}-{end} to wrap round"
                )
            text += "-" + _canonical(field, end, last)
        elif step is not None:
            raise _field_error(field, raw, "a step needs * or a range before it, as in */15 or 0-30/15")
    if step is not None:
        text += "/" + _crontab_step(field, raw, step)
    return text


def _crontab_value(field: _Field, raw: str, token: str) -> int:
    number = int(token) if token.isdigit() else field.number(token)
    if number is None or not field.low <= number <= field.high:
        hint = " (write 0 or sun for Sunday)" if field.attribute == "day_of_week" and number == 7 else ""
        raise _field_error(field, raw, field.rule + hint)
    return number


def _canonical(field: _Field, token: str, number: int) -> str:
    return field.names[number - field.low][:3] if token.isalpha() else str(number)


def _crontab_step(field: _Field, raw: str, step: str) -> str:
    if not step or int(step) < 1:
        raise _field_error(field, raw, "a step (after /) must be a whole number of 1 or more")
    number = int(step)
    if number >= field.size:
        advice = ""
        if field.attribute in {"minute", "hour"}:
            advice = f" To repeat every {number} {field.attribute}s, write: every {number} {field.attribute}s."
        raise _field_error(
            field,
            raw,
            f"a step of {number} is not smaller than the field ({field.rule}), so it matches only "
            f"once {field.once_per}.{advice}",
        )
    return str(number)


def _field_error(field: _Field, raw: str, reason: str) -> ScheduleError:
    reason = reason if reason.endswith(".") else reason + "."
    return ScheduleError(f"The {field.label} field {raw!r} is not valid: {reason} A valid line: {CRON_EXAMPLE}.")


def _crontab_fields(spec: CrontabSpec) -> tuple[str, str, str, str, str]:
    return (spec.minute, spec.hour, spec.day_of_month, spec.month_of_year, spec.day_of_week)


def _crontab_kwargs(spec: CrontabSpec) -> dict[str, str]:
    return {field.attribute: getattr(spec, field.attribute) for field in FIELDS}


def _describe_crontab(spec: CrontabSpec) -> str:
    minute, hour, day_of_month, month, day_of_week = _crontab_fields(spec)
    if minute == "0" and "-" in hour:
        # cron_descriptor drops minute "0" before an hour range ("Between 09:00 and 17:59"); "00" it keeps.
        minute = "00"
    options = Options()
    options.locale_code = "en_US"  # not the server's locale: the site is in English
    options.use_24hour_time_format = True
    try:
        words = ExpressionDescriptor(f"{minute} {hour} {day_of_month} {month} {day_of_week}", options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException, ValueError):
        words = f"On the crontab schedule {text_of(spec, tz=UTC)!r}"
    if _restricts_day_of_month_and_week(spec):
        words += ", only on days that match both the day of the month and the day of the week"
    return words


def _restricts_day_of_month_and_week(spec: CrontabSpec) -> bool:
    try:
        schedule = celery_crontab(spec)
    except ValueError:
        return False
    return schedule.day_of_month != set(range(1, 32)) and schedule.day_of_week != set(range(7))


def _crontab_runs(schedule: crontab, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    after_utc = after.astimezone(UTC)
    # A day early: where a DST change falls back across midnight, the previous date's last wall
    # times can still be later than `after`.
    start = after.astimezone(tz).date() - timedelta(days=1)
    times = [(hour, minute) for hour in sorted(schedule.hour) for minute in sorted(schedule.minute)]
    runs: list[datetime] = []
    horizon = start + LOOKAHEAD
    for day in _candidate_days(schedule, start):
        if day > horizon:
            break
        if day.isoweekday() % 7 not in schedule.day_of_week:  # Celery's numbering: Sunday is 0
            continue
        found = _runs_on(day, times, tz, after_utc)
        if found:
            runs += found
            horizon = day + LOOKAHEAD
        if len(runs) >= count:
            break
    return runs[:count]


def _runs_on(day: date, times: list[tuple[int, int]], tz: ZoneInfo, after_utc: datetime) -> list[datetime]:
    runs: set[datetime] = set()
    for hour, minute in times:
        wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)  # fold=0: the first occurrence
        # Through UTC and back, as beat does: a wall time the clocks skip (02:30 on a spring-forward
        # night) runs at the time it becomes (03:30), once even if 03:30 is listed too. Compare in
        # UTC, where fold cannot mislead.
        run = wall.astimezone(UTC)
        if run > after_utc:
            runs.add(run)
    return [run.astimezone(tz) for run in sorted(runs)]


def _candidate_days(schedule: crontab, start: date):
    """Every real date from `start` on whose month and day of month the crontab allows, in order."""
    months, days = sorted(schedule.month_of_year), sorted(schedule.day_of_month)
    year = start.year
    while True:
        for month in months:
            for day_of_month in days:
                try:
                    day = date(year, month, day_of_month)
                except ValueError:  # the 31st of a 30-day month, Feb 29th outside leap years
                    continue
                if day >= start:
                    yield day
        year += 1


def _exists(wall: datetime) -> bool:
    """False for a wall time that a DST change skips in its zone."""
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(tzinfo=None)


# --- Interval --------------------------------------------------------------------------------

UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days"}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
NUMBER = re.compile(r"[0-9]+")
SIGNED_DECIMAL = re.compile(r"[-+]?[0-9]*[.,]?[0-9]+")


def _parse_interval(words: list[str]) -> IntervalSpec:
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


def _amount(spec: IntervalSpec) -> str:
    return spec.period.removesuffix("s") if spec.every == 1 else f"{spec.every} {spec.period}"


def _interval_delta(spec: IntervalSpec) -> timedelta:
    return timedelta(**{spec.period: spec.every})


# --- One-off time ----------------------------------------------------------------------------

CLOCKED = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})\s+"
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?"
)


def _parse_clocked(rest: str, tz: ZoneInfo, now: datetime) -> ClockedSpec:
    zone, example = _zone_name(tz), _clocked_example(tz, now)
    match = CLOCKED.fullmatch(rest)
    if not match:
        raise ScheduleError(
            f"A one-off time is written 'at YYYY-MM-DD HH:MM' (24-hour clock, {zone} time), as in: {example}."
        )
    parts = {name: int(value) for name, value in match.groupdict(default="0").items()}
    try:
        naive = datetime(**parts)
    except ValueError as exc:
        raise ScheduleError(f"{rest!r} is not a real date and time ({exc}). For example: {example}.") from None
    # Wall clocks first, with a day's slack for the zone's offset: converting year 1 or 9999 to
    # UTC can overflow.
    local_now = now.astimezone(tz).replace(tzinfo=None)
    if naive < local_now - timedelta(days=1):
        raise _passed(naive, tz, now, example)
    if naive > local_now + timedelta(days=MAX_DAYS_AHEAD + 1):
        raise _too_far(naive, example)
    wall = naive.replace(tzinfo=tz)
    if not _exists(wall):
        moved = wall.astimezone(UTC).astimezone(tz)
        raise ScheduleError(
            f"{_format(naive)} does not exist in {zone}: the clocks skip it when daylight saving time "
            f"starts. Pick another time, such as: at {_format(moved)}."
        )
    at = wall.astimezone(UTC)  # a wall time that happens twice (clocks going back) is its first occurrence
    if at <= now:
        raise _passed(naive, tz, now, example)
    if at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise _too_far(naive, example)
    return ClockedSpec(at)


def _passed(naive: datetime, tz: ZoneInfo, now: datetime, example: str) -> ScheduleError:
    zone = _zone_name(tz)
    return ScheduleError(
        f"{_format(naive)} ({zone}) has already passed: it is now {_wall_clock(now, tz)} ({zone}). "
        f"For example: {example}."
    )


def _too_far(naive: datetime, example: str) -> ScheduleError:
    return ScheduleError(
        f"{_format(naive)} is more than {MAX_YEARS_AHEAD} years ahead; pick a nearer time, as in: {example}."
    )


def _clocked_example(tz: ZoneInfo, now: datetime) -> str:
    """A one-off time that is valid right now: tomorrow at 09:00 in the site's zone."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return f"at {tomorrow.isoformat()} 09:00"


def _wall_clock(moment: datetime, tz: ZoneInfo) -> str:
    return _format(moment.astimezone(tz))


def _format(local: datetime) -> str:
    """A wall-clock time as the grammar writes it: seconds only when there are some."""
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return f"{text}:{local.second:02d}" if local.second else text


# --- Rows ------------------------------------------------------------------------------------


def _zone_name(tz) -> str:
    return getattr(tz, "key", None) or str(tz)


def _get_or_create(model, lookup: dict):
    try:
        row, _created = model.objects.get_or_create(**lookup)
    except MultipleObjectsReturned:
        # The admin can make duplicates (no unique constraint); any of them will do, the oldest is stable.
        row = model.objects.filter(**lookup).order_by("pk").first()
    return row
