"""Which limit governs a bulk enqueue (`POST /api/tasks/bulk/`), and the refusal that comes before its
body is read.

Two limits meet here: API_BULK_MAX_TASKS (and API_BULK_MAX_BODY_BYTES), what one request may carry,
and the per-user enqueue rate limit (RATE_LIMIT_ENQUEUE_PER_MINUTE), where every task of a bulk
counts. For a rate-limited user the lower governs: a bulk carries at most the tasks a minute allows,
and at most what is left of this minute. The API page, the OpenAPI document and the errors all say
`most_tasks()`, so the advertised number is one a user can send.

The body is bounded in proportion: each task may bring API_BULK_MAX_BODY_BYTES / API_BULK_MAX_TASKS
bytes (about 1.6 KiB with the defaults), and any bulk may be as large as a single request
(validation.MAX_BODY_BYTES, 256 KiB). The declared Content-Length and what the user has left are
known before the body is read, so a body that cannot fit is refused unread: a user cannot make the
site parse and validate megabytes only to refuse them (uncounted) and then send them again.
"""

from __future__ import annotations

from django.conf import settings

from tasks_app import ratelimit, validation
from tasks_app.errors import UserError
from tasks_app.lib import windows


class BodyTooLarge(UserError):
    """The body is larger than any bulk this user may send (a 413: waiting does not help)."""


def most_tasks(limited: bool = True) -> int:
    """The most tasks one bulk request can carry: API_BULK_MAX_TASKS, or, where rate limits apply
    (production) and the enqueue limit is lower, that limit."""
    limit = ratelimit.limit_for("enqueue")
    if limited and limit and not settings.LOCAL_MODE:
        return min(settings.API_BULK_MAX_TASKS, limit)
    return settings.API_BULK_MAX_TASKS


def governing_limit() -> str:
    """Which setting `most_tasks()` comes from, for the API page and the OpenAPI document."""
    if most_tasks() < settings.API_BULK_MAX_TASKS:
        return "RATE_LIMIT_ENQUEUE_PER_MINUTE: every task of a bulk counts against the per-user rate limit"
    return "API_BULK_MAX_TASKS"


def body_cap(tasks: int) -> int:
    """The largest body a bulk of `tasks` tasks is read up to."""
    share = tasks * settings.API_BULK_MAX_BODY_BYTES // max(1, settings.API_BULK_MAX_TASKS)
    return min(settings.API_BULK_MAX_BODY_BYTES, max(validation.MAX_BODY_BYTES, share))


def admit(user, declared_bytes: int) -> None:
    """Before the body is read: BodyTooLarge if no bulk of this user's could be this large, RateLimited
    (with Retry-After) if only what is left of this minute is too little. Unlimited users pass."""
    left = ratelimit.remaining(user, "enqueue")
    if left is None:
        return
    most = most_tasks()
    if declared_bytes > body_cap(most):
        raise BodyTooLarge(
            f"The body is {declared_bytes} bytes; a bulk request carries at most {most} tasks (the enqueue "
            f"rate limit a minute, RATE_LIMIT_ENQUEUE_PER_MINUTE) and is read up to {body_cap(most)} bytes. "
            "Send fewer tasks per request."
        )
    if not left or declared_bytes > body_cap(left):
        detail = (
            f" {left} {'is' if left == 1 else 'are'} left in this minute, which a body of at most "
            f"{body_cap(left)} bytes carries; this one is {declared_bytes}."
        )
        raise ratelimit.RateLimited(
            "enqueue", ratelimit.limit_for("enqueue"), windows.current(ratelimit.WINDOW_SECONDS)[1], detail
        )
