"""Per-user rate limits on enqueue and schedule: a fixed one-minute window per user and action,
counted by tasks_app.counters (in the database, atomic, shared by every web process). A fixed
window lets a user spend up to twice the limit across a window's edge; for a guard against floods
that is enough, and it needs one row per user instead of one per request.
"""

from __future__ import annotations

from django.conf import settings

from tasks_app import counters
from tasks_app.errors import UserError

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


def key(user, action: str) -> str:
    """The counter of `user`'s `action`s (tasks_app.counters)."""
    return f"{action}:{user.pk}"


def remaining(user, action: str) -> int | None:
    """How many `action`s `user` may still take in this window (one indexed read); None: no limit."""
    if not applies(user, action):
        return None
    return max(0, limit_for(action) - counters.count(key(user, action), counters.window(WINDOW_SECONDS)))


def check(user, action: str, cost: int = 1) -> None:
    """Raise RateLimited if `cost` more `action`s do not fit what `user` has left in this window: one
    indexed read, so that an endpoint refuses before it validates a large body. `take` counts."""
    left = remaining(user, action)
    if left is not None and cost > left:
        retry_after = counters.window(WINDOW_SECONDS).retry_after
        raise RateLimited(action, limit_for(action), retry_after, _left(cost, left))


def _left(cost: int, left: int) -> str:
    return f" This request needs {cost}; {left} {'is' if left == 1 else 'are'} left in this minute."


def take(user, action: str, cost: int = 1) -> None:
    """Count `cost` uses of `action` by `user` in this window, or raise RateLimited.

    Anonymous users (local mode) and the CLI (no user) are not limited. Call it inside the
    transaction that does the work, so that work which fails gives its count back.
    """
    if not applies(user, action):
        return
    current = counters.window(WINDOW_SECONDS)
    if not counters.hit(key(user, action), current, limit_for(action), cost):
        raise RateLimited(action, limit_for(action), current.retry_after)


def give_back(user, action: str, cost: int = 1) -> None:
    """Undo a `take` whose work did not happen (the broker refused the task after its record and
    count were committed). A window that has ended since keeps its count: it no longer limits."""
    if not applies(user, action):
        return
    counters.give_back(key(user, action), counters.window(WINDOW_SECONDS), cost)
