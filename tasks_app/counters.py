"""The one fixed-window counter, in the database, behind the rate limits (tasks_app.ratelimit) and
login throttling (tasks_app.login_throttle).

One row per key and window (tasks_app.models.WindowCount), incremented by a conditional UPDATE:
atomic on SQLite and PostgreSQL alike, shared by every web process and dyno (a per-process cache
would multiply a limit by the number of processes), and no new service. The first hit of a window
INSERTs its row; two first hits at once both try, the unique constraint lets one in, and the
other counts on that row. A fixed window lets up to twice a limit through across a window's edge;
for a guard against floods and guessing that is enough, and it needs one row per key instead of
one per event. A new window's row sweeps away every row whose window has ended, whatever its key,
so that keys which never come back (an address that failed once) leave nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from tasks_app.lib import windows
from tasks_app.models import WindowCount


@dataclass(frozen=True)
class Window:
    """The fixed window of `seconds` that holds now: its bounds, and the whole seconds until it ends."""

    start: datetime
    end: datetime
    retry_after: int


def window(seconds: int) -> Window:
    start, retry_after = windows.current(seconds)
    return Window(start, start + timedelta(seconds=seconds), retry_after)


def _rows(key: str, current: Window):
    return WindowCount.objects.filter(window_end=current.end, key=key)


def count(key: str, current: Window) -> int:
    """How many `key` has counted in `current` (one indexed read)."""
    return _rows(key, current).values_list("count", flat=True).first() or 0


def hit(key: str, current: Window, limit: int | None = None, cost: int = 1) -> bool:
    """Count `cost` more for `key` in `current` if the total stays within `limit` (None: no limit),
    and say whether it did; a refused hit counts nothing. Inside a transaction, the count is given
    back if the transaction rolls back."""
    if limit is not None and cost > limit:
        return False
    rows = _rows(key, current)
    within = rows if limit is None else rows.filter(count__lte=limit - cost)
    for _ in range(2):
        if within.update(count=F("count") + cost):
            return True
        if limit is not None and rows.exists():
            return False
        try:
            with transaction.atomic():
                WindowCount.objects.create(key=key, window_end=current.end, count=cost)
        except IntegrityError:
            continue  # another request made this window's row first: count on it
        # After the caller's transaction, so that its row locks are held for the DELETE alone; a
        # sweep that fails (two sweeps deadlocked on PostgreSQL) is retried by the next new window.
        transaction.on_commit(lambda: sweep(current.start), robust=True)
        return True
    return False


def give_back(key: str, current: Window, cost: int = 1) -> None:
    """Undo a `hit` whose work did not happen. A window that has ended since keeps its count: it no
    longer limits."""
    _rows(key, current).filter(count__gte=cost).update(count=F("count") - cost)


def reset(key: str, current: Window) -> None:
    """Forget what `key` counted in `current` (earlier windows have ended: they no longer count)."""
    _rows(key, current).delete()


def sweep(before: datetime) -> None:
    """Delete every row whose window ended by `before`. Callers pass the start of the window they count
    in rather than the time now: it reads the windows' own clock (which tests pin), and a window that
    ended by then has surely ended."""
    WindowCount.objects.filter(window_end__lte=before).delete()
