"""Failed tasks grouped by cause: the one data function behind `/failures/`, `GET /api/failures/`,
`manage.py failures` and the failures line of `/metrics` (django-rq's failed registry, grouped).

A group is the failures of one task with one exception class and one normalised message
(tasks_app.selectors.failure_messages): its key. Its id is a stable hash of the key, so links, the
API and the CLI name a group the same way on every page load and every process.

Only FAILURE counts: a REVOKED task was stopped on purpose by a person, not by a fault.

Bounded: the groups are built from the latest SCAN_MAX failed result rows whose date_done falls in
the last WINDOW (the result table's date_done index, read newest first; the limit stops the scan),
never from the whole table; the page says when the limit was reached. The messages are normalised
in Python (regular expressions SQLite and PostgreSQL do not share), over those rows only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import states
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app import access
from tasks_app.errors import UserError
from tasks_app.lib.formats import iso
from tasks_app.models import FailureDismissal, TaskRecord
from tasks_app.selectors import pagination
from tasks_app.selectors.failure_messages import normalise

WINDOW = timedelta(days=7)
SCAN_MAX = 5000  # failed rows read at most per look: the bound of every query here
UNKNOWN = "unknown"  # the exception of a failure whose result is not Celery's JSON error


class GroupNotFound(UserError):
    """No group with this id among the failures this user may see in the window."""

    def __init__(self, group_id: str):
        shown = group_id if len(group_id) <= 64 else group_id[:64] + "…"
        super().__init__(
            f"No failure group {shown!r} among the failures you can see in the last {WINDOW.days} days.", "group"
        )


@dataclass
class Group:
    id: str
    task_name: str
    exception: str
    message: str  # normalised: the key's third part
    count: int
    first_seen: datetime  # the oldest failure of the group within the window
    last_seen: datetime
    latest_task_id: str
    latest_error: str  # the latest failure's own message, before normalising
    task_ids: list[str] = field(default_factory=list)
    traceback: str = ""  # the latest failure's
    dismissal: FailureDismissal | None = None

    @property
    def dismissed(self) -> bool:
        """Dismissed, and no failure of the group since: a newer one brings the group back."""
        return self.dismissal is not None and self.last_seen <= self.dismissal.dismissed_at

    def as_json(self) -> dict:
        dismissal = self.dismissal
        return {
            "id": self.id,
            "task": self.task_name,
            "exception": self.exception,
            "message": self.message,
            "count": self.count,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "latest_task": self.latest_task_id,
            "latest_error": self.latest_error,
            "traceback": self.traceback or None,
            "dismissed": self.dismissed,
            "dismissed_at": iso(dismissal.dismissed_at) if dismissal else None,
            "dismissed_by": (dismissal.dismissed_by.get_username() if dismissal and dismissal.dismissed_by else None),
        }


@dataclass(frozen=True)
class Overview:
    groups: list[Group]  # the groups shown, latest failure first
    since: datetime
    scanned: int  # failed rows read
    capped: bool  # SCAN_MAX rows were read and more remain: older failures are left out
    hidden: int  # dismissed groups left out (when not shown)


def group_id(task_name: str, exception: str, message: str) -> str:
    """The group's stable id: a hash of its key."""
    return hashlib.sha256(json.dumps([task_name, exception, message]).encode()).hexdigest()[:16]


def exception_of(result: str | None) -> tuple[str, str]:
    """(exception class, message) of a failed result row's stored JSON error, as Celery writes it."""
    try:
        payload = json.loads(result) if result else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("exc_type"), str):
        return UNKNOWN, str(result or "")
    module, name = payload.get("exc_module"), payload["exc_type"]
    exception = f"{module}.{name}" if isinstance(module, str) and module not in ("builtins", "") else name
    message = payload.get("exc_message")
    if isinstance(message, list | tuple):
        message = ", ".join(str(part) for part in message)
    return exception, str(message if message is not None else "")


def visible_failures(user, since):
    """The FAILURE result rows since `since` that `user` may see (tasks_app.access: staff see all,
    others only the tasks they sent), newest first."""
    rows = TaskResult.objects.filter(status=states.FAILURE, date_done__gte=since)
    if not access.is_open(user):
        rows = rows.filter(task_id__in=TaskRecord.objects.filter(owner_id=user.pk).values("task_id"))
    return rows.order_by("-date_done", "-id")


def _build(rows) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for task_id, task_name, result, done in rows:  # newest first: the first of a group is its latest
        exception, raw = exception_of(result)
        message = normalise(raw)
        key = group_id(task_name or "", exception, message)
        found = groups.get(key)
        if found is None:
            found = groups[key] = Group(key, task_name or "", exception, message, 0, done, done, task_id, raw)
        found.count += 1
        found.first_seen = done
        found.task_ids.append(task_id)
    return groups


def collect(user, now: datetime | None = None) -> tuple[dict[str, Group], datetime, int, bool]:
    """Every group of the failures `user` may see in the window, with its dismissal: (groups by id,
    the window's start, rows read, whether the scan stopped at SCAN_MAX)."""
    since = (now or timezone.now()) - WINDOW
    rows = list(
        visible_failures(user, since).values_list("task_id", "task_name", "result", "date_done")[: SCAN_MAX + 1]
    )
    capped = len(rows) > SCAN_MAX
    groups = _build(rows[:SCAN_MAX])
    for dismissal in FailureDismissal.objects.select_related("dismissed_by").filter(group_id__in=list(groups)):
        groups[dismissal.group_id].dismissal = dismissal
    return groups, since, min(len(rows), SCAN_MAX), capped


def _with_tracebacks(groups: list[Group]) -> list[Group]:
    """Each group with its latest failure's traceback, in one query."""
    found = dict(
        TaskResult.objects.filter(task_id__in=[group.latest_task_id for group in groups]).values_list(
            "task_id", "traceback"
        )
    )
    for group in groups:
        group.traceback = found.get(group.latest_task_id) or ""
    return groups


def overview(user, show_dismissed: bool = False, now: datetime | None = None) -> Overview:
    """The groups `user` may see, latest failure first; dismissed ones only with `show_dismissed`."""
    groups, since, scanned, capped = collect(user, now)
    shown = [group for group in groups.values() if show_dismissed or not group.dismissed]
    shown.sort(key=lambda group: group.last_seen, reverse=True)
    return Overview(_with_tracebacks(shown), since, scanned, capped, len(groups) - len(shown))


def find(user, wanted: str) -> Group:
    """The group `wanted` names among those `user` may see, with its traceback; GroupNotFound if none."""
    groups = collect(user)[0] if isinstance(wanted, str) and wanted else {}
    if wanted not in groups:
        raise GroupNotFound(str(wanted))
    return _with_tracebacks([groups[wanted]])[0]


def tasks_page(group: Group, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT) -> pagination.Page:
    """One page of the group's failed tasks (result rows), latest first; each with `error`, its own message."""
    rows = TaskResult.objects.filter(task_id__in=group.task_ids).only("task_id", "task_name", "date_done", "result")
    found = pagination.paginate(rows, "-date_done", cursor, limit)
    for row in found.items:
        row.error = exception_of(row.result)[1]
    return found


def counts_by_cause(since) -> dict[tuple[str, str], int]:
    """Failures since `since` by (task, exception class), every task's, for /metrics: no message,
    so the number of series stays bounded by the tasks and exception classes there are."""
    counts: dict[tuple[str, str], int] = {}
    rows = TaskResult.objects.filter(status=states.FAILURE, date_done__gte=since).order_by("-date_done")
    for task_name, result in rows.values_list("task_name", "result")[:SCAN_MAX]:
        key = (task_name or "", exception_of(result)[0])
        counts[key] = counts.get(key, 0) + 1
    return counts
