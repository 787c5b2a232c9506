"""Acting on a group of failures (tasks_app.selectors.failures): retry all its tasks, or dismiss it.

A group's retry is retry-all (tasks_app.services.bulk.retry_failed) over the group's tasks: the same
cap, the same rate limit for the owner of the new tasks, each failed task retried once. The group is
built for the user who asks, so it holds only tasks they may see. A dismissal is one row per group,
kept; who may dismiss is the caller's check (staff: a dismissal hides the group from everyone).
"""

from __future__ import annotations

from django.utils import timezone

from tasks_app.models import FailureDismissal, TaskRecord
from tasks_app.selectors.failures import Group
from tasks_app.services import bulk


def group_records(group: Group):
    """The site's records of the group's tasks (a failure known only by its result row has none, and
    cannot be retried: the site never recorded what it was sent with)."""
    return TaskRecord.objects.filter(task_id__in=group.task_ids)


def retryable_count(group: Group) -> tuple[int, bool]:
    """How many of the group's tasks a retry would send again, up to the cap: (count, more than the cap)."""
    return bulk.count_up_to(bulk.retryable(group_records(group)))


def retry_group(group: Group, owner=None, sent_from: str = "") -> bulk.BulkAction:
    """Retry every failed task of the group not retried yet (tasks_app.services.bulk.retry_failed)."""
    return bulk.retry_failed(group_records(group), owner=owner, sent_from=sent_from)


def dismiss(group: Group, by=None) -> FailureDismissal:
    """Hide the group until a failure of it arrives after now; dismissing again moves the time on."""
    dismissal, _ = FailureDismissal.objects.update_or_create(
        group_id=group.id,
        defaults={
            "task_name": group.task_name,
            "exception": group.exception,
            "message": group.message,
            "dismissed_by": by if by is not None and by.is_authenticated else None,
            "dismissed_at": timezone.now(),
        },
    )
    return dismissal
