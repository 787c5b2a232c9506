"""Fixed windows of wall-clock time, which tasks_app.counters counts in for the rate limits and login
throttling: one row per key and window, no timestamps kept."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.utils import timezone


def current(seconds: int) -> tuple[datetime, int]:
    """The start of the window of `seconds` that holds now, and the whole seconds until it ends (at
    least 1, as Retry-After says). Windows start at multiples of `seconds` since the epoch, so a
    minute's starts on the minute."""
    now = timezone.now().timestamp()
    start = now - now % seconds
    return datetime.fromtimestamp(start, tz=UTC), max(1, math.ceil(start + seconds - now))
