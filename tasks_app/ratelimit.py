"""Per-user rate limits on enqueue and schedule, counted in the database.

A fixed one-minute window per user and action, one row each, incremented with a conditional
UPDATE: atomic on SQLite and PostgreSQL alike, shared by every web process (a per-process
cache would multiply the limit by the number of web processes), and no new service.
A fixed window lets a user spend up to twice the limit across a window's edge; for a guard
against floods that is enough, and it needs one row per user instead of one per request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from tasks_app.errors import UserError
from tasks_app.lib import windows
from tasks_app.models import RateWindow

WINDOW_SECONDS = 60

# What each action's limit counts, for the message.
NOUNS = {"enqueue": "tasks sent", "schedule": "periodic tasks created"}


class RateLimited(UserError):
    def __init__(self, action: str, limit: int, retry_after: int, detail: str = ""):
        super().__init__(
            f"Too many {NOUNS[action]}: at most {limit} a minute per user.{detail} "
            f"Try again in {retry_after} s (RATE_LIMIT_{action.upper()}_PER_MINUTE sets the limit)."
        )
        self.retry_after = retry_after


def limit_for(action: str) -> int:
    """The limit per minute; 0 means none."""
    return settings.RATE_LIMITS_PER_MINUTE.get(action, 0)


def applies(user, action: str) -> bool:
    """Is `user` limited in `action`? Anonymous users (local mode) and the CLI (no user) are not."""
    return bool(limit_for(action)) and user is not None and user.is_authenticated


def remaining(user, action: str) -> int | None:
    """How many `action`s `user` may still take in this window (one indexed read); None: no limit."""
    if not applies(user, action):
        return None
    start, _retry_after = windows.current(WINDOW_SECONDS)
    used = RateWindow.objects.filter(user=user, action=action, window_start=start).values_list("count", flat=True)
    return max(0, limit_for(action) - (used.first() or 0))


def check(user, action: str, cost: int = 1) -> None:
    """Raise RateLimited if `cost` more `action`s do not fit what `user` has left in this window: one
    indexed read, so that an endpoint refuses before it validates a large body. `take` counts."""
    left = remaining(user, action)
    if left is not None and cost > left:
        raise RateLimited(action, limit_for(action), windows.current(WINDOW_SECONDS)[1], _left(cost, left))


def _left(cost: int, left: int) -> str:
    return f" This request needs {cost}; {left} {'is' if left == 1 else 'are'} left in this minute."


def take(user, action: str, cost: int = 1) -> None:
    """Count `cost` uses of `action` by `user` in this window, or raise RateLimited.

    Anonymous users (local mode) and the CLI (no user) are not limited. Call it inside the
    transaction that does the work, so that work which fails gives its count back.
    """
    if not applies(user, action):
        return
    limit = limit_for(action)
    start, retry_after = windows.current(WINDOW_SECONDS)
    if cost > limit:
        raise RateLimited(action, limit, retry_after)
    rows = RateWindow.objects.filter(user=user, action=action, window_start=start)
    for _ in range(2):
        if rows.filter(count__lte=limit - cost).update(count=F("count") + cost):
            return
        if rows.exists():
            raise RateLimited(action, limit, retry_after)
        try:
            with transaction.atomic():
                RateWindow.objects.create(user=user, action=action, window_start=start, count=cost)
        except IntegrityError:
            continue  # another request made this window's row first: count on it
        RateWindow.objects.filter(user=user, action=action, window_start__lt=start).delete()
        return
    raise RateLimited(action, limit, retry_after)


def give_back(user, action: str, cost: int = 1) -> None:
    """Undo a `take` whose work did not happen (the broker refused the task after its record and
    count were committed). A window that has ended since keeps its count: it no longer limits."""
    if not applies(user, action):
        return
    start, _retry_after = windows.current(WINDOW_SECONDS)
    RateWindow.objects.filter(user=user, action=action, window_start=start, count__gte=cost).update(
        count=F("count") - cost
    )
