"""One-off times: `at 2026-12-24 09:30`, read in the site's zone, refused when past, too far
ahead, or skipped by a daylight-saving change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tasks_app.schedules.specs import (
    MAX_DAYS_AHEAD,
    MAX_YEARS_AHEAD,
    ClockedSpec,
    ScheduleError,
    clocked_example,
    format_wall,
    wall_clock,
    zone_name,
)

CLOCKED = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})\s+"
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?"
)


def parse_clocked(rest: str, tz: ZoneInfo, now: datetime) -> ClockedSpec:
    example = clocked_example(tz, now)
    if not CLOCKED.fullmatch(rest):
        raise ScheduleError(
            f"A one-off time is written 'at YYYY-MM-DD HH:MM' (24-hour clock, {zone_name(tz)} time), as in: {example}."
        )
    return ClockedSpec(wall_time(rest, tz, now, example))


def wall_time(
    text: str, tz: ZoneInfo, now: datetime, example: str, word: str = "at", past_allowed: bool = False
) -> datetime:
    """The moment `text` (YYYY-MM-DD HH:MM[:SS], already matched by CLOCKED) names in `tz`, in UTC:
    a real date, not skipped by a daylight-saving change, at most MAX_YEARS_AHEAD ahead and, unless
    `past_allowed`, later than `now`. `example` ends each message with a valid text; `word` is the
    one that stood before the time (at, from, until)."""
    zone = zone_name(tz)
    found = CLOCKED.fullmatch(text)
    if found is None:  # the callers refuse such a text first, each in its own words
        raise ScheduleError(f"{text!r} is not a date and time (YYYY-MM-DD HH:MM). For example: {example}.")
    parts = {name: int(value) for name, value in found.groupdict(default="0").items()}
    try:
        naive = datetime(**parts)  # type: ignore[arg-type]  # the pattern's groups are datetime's int fields by name
    except ValueError as exc:
        raise ScheduleError(f"{text!r} is not a real date and time ({exc}). For example: {example}.") from None
    # Wall clocks first, with a day's slack for the zone's offset: converting year 1 or 9999 to
    # UTC can overflow.
    local_now = now.astimezone(tz).replace(tzinfo=None)
    if naive < local_now - timedelta(days=1):
        if not past_allowed:
            raise _passed(naive, tz, now, example)
        if naive < local_now - timedelta(days=MAX_DAYS_AHEAD):
            raise ScheduleError(f"{format_wall(naive)} is too long ago. For example: {example}.")
    if naive > local_now + timedelta(days=MAX_DAYS_AHEAD + 1):
        raise _too_far(naive, example)
    wall = naive.replace(tzinfo=tz)
    if not _exists(wall):
        moved = wall.astimezone(UTC).astimezone(tz)
        raise ScheduleError(
            f"{format_wall(naive)} does not exist in {zone}: the clocks skip it when daylight saving time "
            f"starts. Pick another time, such as: {word} {format_wall(moved)}."
        )
    at = wall.astimezone(UTC)  # a wall time that happens twice (clocks going back) is its first occurrence
    if at <= now and not past_allowed:
        raise _passed(naive, tz, now, example)
    if at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise _too_far(naive, example)
    return at


def _passed(naive: datetime, tz: ZoneInfo, now: datetime, example: str) -> ScheduleError:
    zone = zone_name(tz)
    return ScheduleError(
        f"{format_wall(naive)} ({zone}) has already passed: it is now {wall_clock(now, tz)} ({zone}). "
        f"For example: {example}."
    )


def _too_far(naive: datetime, example: str) -> ScheduleError:
    return ScheduleError(
        f"{format_wall(naive)} is more than {MAX_YEARS_AHEAD} years ahead; pick a nearer time, as in: {example}."
    )


def _exists(wall: datetime) -> bool:
    """False for a wall time that a DST change skips in its zone."""
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(tzinfo=None)
