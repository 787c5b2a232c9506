"""Crontab lines and nicknames: parsed field by field as Celery and django-celery-beat's admin
validators read them, and described in plain English (their run times: runs.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from celery.schedules import ParseException, crontab, crontab_parser
from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.core.exceptions import ValidationError
from django_celery_beat import validators

from tasks_app.schedules.specs import (
    CRON_EXAMPLE,
    CRON_ORDER,
    CrontabSpec,
    ScheduleError,
    all_forms,
)


def celery_crontab(spec: CrontabSpec) -> crontab:
    """Celery's own crontab for `spec`. Keywords, always: its positional order is not cron's."""
    return crontab(**crontab_kwargs(spec))


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
# CrontabSchedule's column widths, written out so that parsing loads no model (a test holds them
# to the model's).
MAX_LENGTHS = {"minute": 60 * 4, "hour": 24 * 4, "day_of_month": 31 * 4, "month_of_year": 64, "day_of_week": 64}
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


def parse_nickname(word: str) -> CrontabSpec:
    if word not in NICKNAMES:
        known = ", ".join(NICKNAMES)
        raise ScheduleError(f"Unknown nickname {word!r}; use one of {known}, or a crontab line such as {CRON_EXAMPLE}.")
    return _crontab_spec(NICKNAMES[word].split())


def parse_crontab(words: list[str], text: str, tz: ZoneInfo, now: datetime) -> CrontabSpec:
    if len(words) != len(FIELDS):
        looks_like_cron = all(CRON_WORD.fullmatch(word.lower()) for word in words) and re.search(r"[0-9*]", text)
        if not looks_like_cron:
            raise ScheduleError(f"{text!r} is not a schedule. {all_forms(tz, now)}")
        raise ScheduleError(
            f"A crontab line has 5 fields ({CRON_ORDER}), but {text!r} has {len(words)}. A valid line: {CRON_EXAMPLE}."
        )
    return _crontab_spec(words)


def _crontab_spec(words: list[str]) -> CrontabSpec:
    values = {field.attribute: _crontab_field(field, word) for field, word in zip(FIELDS, words, strict=True)}
    spec = CrontabSpec(**values)  # type: ignore[arg-type]  # the five str fields by name; limits keeps its default
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
    max_length = MAX_LENGTHS[field.attribute]
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


def crontab_fields(spec: CrontabSpec) -> tuple[str, str, str, str, str]:
    return (spec.minute, spec.hour, spec.day_of_month, spec.month_of_year, spec.day_of_week)


def crontab_kwargs(spec: CrontabSpec) -> dict[str, str]:
    return {field.attribute: getattr(spec, field.attribute) for field in FIELDS}


def describe_crontab(spec: CrontabSpec) -> str:
    minute, hour, day_of_month, month, day_of_week = crontab_fields(spec)
    if minute == "0" and "-" in hour:
        # cron_descriptor drops minute "0" before an hour range ("Between 09:00 and 17:59"); "00" it keeps.
        minute = "00"
    options = Options()
    options.locale_code = "en_US"  # not the server's locale: the site is in English
    options.use_24hour_time_format = True
    try:
        words = ExpressionDescriptor(f"{minute} {hour} {day_of_month} {month} {day_of_week}", options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException, ValueError):
        words = f"On the crontab schedule {' '.join(crontab_fields(spec))!r}"
    if _restricts_day_of_month_and_week(spec):
        words += ", only on days that match both the day of the month and the day of the week"
    return words


def _restricts_day_of_month_and_week(spec: CrontabSpec) -> bool:
    try:
        schedule = celery_crontab(spec)
    except ValueError:
        return False
    return schedule.day_of_month != set(range(1, 32)) and schedule.day_of_week != set(range(7))
