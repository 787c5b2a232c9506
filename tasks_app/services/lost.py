"""Tasks recorded as queued that the broker no longer holds: noticed, said, and marked lost by staff.

The site's own Empty… marks each task it drops. Celery's own tools do not: `celery purge`,
`app.control.purge()`, a broker flushed or a queue deleted leave the records QUEUED for good,
counted as waiting on the dashboard and in /metrics. What the site can see is a queue the broker
says is empty while records say tasks wait in it; those records, older than a grace period (a
task sent a moment ago may already be in a worker's hands, not yet reported), are *possibly lost*.
A worker may also hold a few it fetched ahead and has not started, so the site says so and leaves
the decision to staff: marking them lost makes each a FAILURE (TaskLost) saying why, by whom and
when, which "Retry all failed" can send again. Should a worker run one after all, its real
outcome replaces the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.utils import timezone

from tasks_app.broker import queues
from tasks_app.models import TaskRecord
from tasks_app.selectors.status import states
from tasks_app.states import QUEUED

# A task sent this recently is not suspected: it may be on its way to, or in, a worker.
GRACE = timedelta(seconds=60)


class TaskLost(Exception):
    """The broker no longer held this task: it never ran (a queue emptied outside the site)."""


@dataclass(frozen=True)
class Suspects:
    count: int
    queues: list[str]  # broker names of the empty queues that records say are not


def _empty_queues(queue_states) -> list[str]:
    return [queue.broker_name for queue in queue_states if queue.depth == 0 and not queue.error]


def _records(empty: list[str], now):
    # The (state, created_at) index; QUEUED is the mirror of "no worker has reported".
    return TaskRecord.objects.filter(state=QUEUED, queue__in=empty, created_at__lt=now - GRACE)


def suspects(queue_states, checked_at) -> Suspects:
    """From the dashboard's snapshot: records QUEUED in a queue that was empty when it was checked."""
    empty = _empty_queues(queue_states)
    if not empty or checked_at is None:
        return Suspects(0, [])
    found = _records(empty, checked_at)
    return Suspects(found.count(), sorted(set(found.values_list("queue", flat=True))))


def mark_lost(by: str) -> int:
    """Mark lost every suspect the broker confirms now (its queue read afresh, not the snapshot);
    at most settings.BULK_ACTION_MAX_TASKS at a time, the oldest first. Returns how many were marked."""
    now = timezone.now()
    empty = _empty_queues(queues.states())
    if not empty:
        return 0
    records = list(_records(empty, now).order_by("created_at", "id")[: settings.BULK_ACTION_MAX_TASKS])
    truth = states(record.task_id for record in records)  # the mirror may lag a worker's report
    when = timezone.localtime(now)
    marked = 0
    for record in records:
        if truth[record.task_id] != QUEUED:
            continue
        reason = (
            f"Lost: queue {record.queue} was empty, so the broker no longer held this task (emptied outside "
            f"the site, by `celery purge` for example); marked lost by {by} at {when:%Y-%m-%d %H:%M:%S %Z}."
        )
        current_app.backend.mark_as_failure(record.task_id, TaskLost(reason))
        marked += 1
    return marked
