"""The clauses that bound a repeating schedule: `, N times`, `from <date time>`, `until <date time>`.

    every 10 seconds, 5 times
    */5 * * * *, 3 times
    every day from 2026-12-24 09:00 until 2027-01-06 09:00
    @daily until 2027-01-06 09:00, 7 times

Each is optional and they combine in any order after the crontab line, nickname or interval; times
are read in the site's zone, like a one-off time. A one-off time (`at ...`) runs once and takes none.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tasks_app.schedules.clocked import CLOCKED, wall_time
from tasks_app.schedules.specs import Limits, ScheduleError, format_wall, wall_clock, zone_name

# Beat keeps counting past this, but a schedule that must stop after more runs is better written
# with `until`; the limit keeps the preview's count of runs cheap.
MAX_TIMES = 10_000

DIGITS = re.compile(r"[0-9]+")
TIMES = re.compile(r",\s*(?P<count>\S*)\s+times?\s*", re.IGNORECASE)
BOUND = re.compile(r"\s+(?P<word>from|until)(?:\s+(?P<when>\S+(?:\s+\S+)?))?", re.IGNORECASE)


def split(text: str, tz: ZoneInfo, now: datetime) -> tuple[str, Limits]:
    """The schedule line without its clauses, and the limits they set."""
    text, times = _take_times(text)
    example = _example(tz, now)
    bounds = _bounds(text, tz, now, example)
    base = _base(text, example)
    limits = Limits(times=times, start=bounds.get("from"), until=bounds.get("until"))
    if limits.start and limits.until and limits.until <= limits.start:
        raise ScheduleError(
            f"'until' ({_wall(limits.until, tz)}) must come after 'from' ({_wall(limits.start, tz)}). "
            f"For example: {example}."
        )
    if limits and not base:
        raise ScheduleError(f"Say what repeats before the limits, as in: {example}.")
    return base, limits


def _take_times(text: str) -> tuple[str, int | None]:
    """The text without its `, N times` clause, and N (None without one)."""
    found = list(TIMES.finditer(text))
    if len(found) > 1:
        raise ScheduleError("Say how many times once, as in: every 10 seconds, 5 times.")
    if not found:
        return text, None
    return (text[: found[0].start()] + " " + text[found[0].end() :]).strip(), _times(found[0].group("count"))


def _bounds(text: str, tz: ZoneInfo, now: datetime, example: str) -> dict[str, datetime]:
    """The times after `from` and `until`, each given at most once: {"from": ..., "until": ...}."""
    bounds: dict[str, datetime] = {}
    for match in BOUND.finditer(text):
        word = match.group("word").lower()
        if word in bounds:
            raise ScheduleError(f"Give '{word}' once. For example: {example}.")
        when = match.group("when") or ""
        if not CLOCKED.fullmatch(when):
            raise ScheduleError(
                f"After '{word}' write a date and time as YYYY-MM-DD HH:MM ({zone_name(tz)} time), as in: {example}."
            )
        bounds[word] = wall_time(when, tz, now, example, word=word, past_allowed=word == "from")
    return bounds


def _base(text: str, example: str) -> str:
    """The text before its first `from` or `until`; nothing but those clauses may follow it."""
    first = BOUND.search(text)
    if not first:
        return text
    if BOUND.sub("", text[first.start() :]).strip():
        left = BOUND.sub(" ", text[first.start() :]).strip()
        raise ScheduleError(f"{left!r} is not understood after 'from' or 'until'. For example: {example}.")
    return text[: first.start()].strip()


def _times(count: str) -> int:
    if not DIGITS.fullmatch(count):  # ASCII only: str.isdigit() accepts ², which int() refuses
        raise ScheduleError(
            f"{count!r} is not a number of times; write a whole number, as in: every 10 seconds, 5 times."
        )
    number = int(count)
    if number < 1:
        raise ScheduleError(f"', {count} times' would never run; write 1 or more, as in: every 10 seconds, 5 times.")
    if number > MAX_TIMES:
        raise ScheduleError(
            f"', {number} times' is more than {MAX_TIMES:,} runs; for a longer series give an end with "
            "'until YYYY-MM-DD HH:MM' instead."
        )
    return number


def text_of(limits: Limits, tz: ZoneInfo) -> str:
    """The clauses as the grammar writes them, after the base: ` from ... until ..., N times`."""
    text = ""
    if limits.start:
        text += f" from {_wall(limits.start, tz)}"
    if limits.until:
        text += f" until {_wall(limits.until, tz)}"
    if limits.times is not None:
        text += f", {limits.times} time{'' if limits.times == 1 else 's'}"
    return text


def words(limits: Limits, tz: ZoneInfo) -> str:
    """The clauses in plain English, after a description: `, 5 times, from ... until ...`."""
    text = ""
    if limits.times is not None:
        text += ", once" if limits.times == 1 else f", {limits.times} times"
    if limits.start:
        text += f", from {_wall(limits.start, tz)}"
    if limits.until:
        text += f"{',' if not limits.start else ''} until {_wall(limits.until, tz)}"
    return text


def bounded(runs: list[datetime], limits: Limits, runs_done: int = 0) -> list[datetime]:
    """The runs that will really happen: none at or after `until`, at most the runs left of `times`."""
    if limits.until:
        runs = [run for run in runs if run < limits.until]
    if limits.times is not None:
        runs = runs[: max(0, limits.times - runs_done)]
    return runs


def earliest(after: datetime, limits: Limits) -> datetime:
    """Where to start looking for runs: just before `from` when it is still ahead."""
    if limits.start and limits.start > after:
        return limits.start - timedelta(microseconds=1)
    return after


def _wall(moment: datetime, tz: ZoneInfo) -> str:
    return wall_clock(moment, tz)


def _example(tz: ZoneInfo, now: datetime) -> str:
    start = (now.astimezone(tz) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=14)
    return f"every day from {format_wall(start)} until {format_wall(end.astimezone(UTC).astimezone(tz))}"
