"""Acting on every task a filter selects: retry all the failed ones, revoke all the queued or running.

One call acts on at most settings.BULK_ACTION_MAX_TASKS tasks, oldest first, and says whether more
remain (the next call takes them: a retried task is not retried again, a revoked one is no longer
queued). Each retry is a new task linked to its original with exactly its JSON args, kwargs and
queue, as a single retry is, and all of them go out together the way the bulk endpoint sends
(services.sending.send_many: one transaction, the fewest broker round trips). A revoke-all marks
every task REVOKED in one transaction, then tells the workers in one broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import current_app, states, uuid
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tasks_app import catalog
from tasks_app.broker import control, publishing
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.services.sending import send_many
from tasks_app.states import FINISHED_STATES, UNFINISHED_STATES, WAITING_STATES
from tasks_app.validation import TaskInputError


@dataclass(frozen=True)
class BulkAction:
    task_ids: list[str]  # the tasks acted on (for a retry: the new tasks)
    skipped: int  # selected, but finished (revoke) or no longer failed (retry) when acted on, or whose
    # recorded input no longer fits its task (retry)
    more_left: bool  # the cap was reached: another call takes the rest
    workers_told: bool = True  # revoke: False when the broker could not be reached

    def summary(self, verb: str, which: str) -> list[str]:
        """What was done, in sentences for a page's messages or a command's output ("Retried")."""
        count = len(self.task_ids)
        lines = [f"{verb} {count} {which} task{'' if count == 1 else 's'}."]
        if self.skipped:
            lines.append(
                f"{self.skipped} were left alone: they had changed state meanwhile, or their recorded "
                "arguments no longer fit the task."
            )
        if self.more_left:
            lines.append(f"More {which} tasks remain than one request takes: do it again for the rest.")
        if not self.workers_told:
            lines.append("The broker could not be reached to tell the workers; the tasks will still not run.")
        return lines


def retryable(records):
    """The failed tasks among `records` (a TaskRecord queryset) that have not been retried yet."""
    retried = TaskRecord.objects.filter(retry_of=OuterRef("task_id"))
    return records.filter(state=states.FAILURE).exclude(Exists(retried))


def revocable(records):
    """The queued or running tasks among `records` whose revocation has not been asked for yet."""
    return records.filter(state__in=UNFINISHED_STATES, revoke_requested_at__isnull=True)


def count_up_to(selected, limit: int | None = None) -> tuple[int, bool]:
    """How many tasks `selected` holds, counted no further than the cap: (count, more than the cap)."""
    limit = limit or settings.BULK_ACTION_MAX_TASKS
    found = len(selected.values_list("pk", flat=True)[: limit + 1])
    return min(found, limit), found > limit


def _batch(selected, limit: int | None) -> tuple[list[TaskRecord], bool]:
    limit = limit or settings.BULK_ACTION_MAX_TASKS
    rows = list(selected.order_by("created_at", "id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def retry_failed(records, owner=None, limit: int | None = None, sent_from: str = "") -> BulkAction:
    """Retry every failed task of `records` not retried yet, up to the cap; `owner` owns the new
    tasks and its rate limit counts each (RateLimited when over, and then nothing is sent)."""
    originals, more = _batch(retryable(records), limit)
    truth = status.states(record.task_id for record in originals)  # the mirror may lag the result rows
    originals = [record for record in originals if truth[record.task_id] == states.FAILURE]
    batch, linked = [], []
    for original in originals:
        try:
            entry = catalog.get(original.task_name)
            args, kwargs = entry.bind(original.args, original.kwargs)
        except TaskInputError:  # recorded before the task changed: left alone, as one retry would refuse it
            continue
        queue = original.queue or settings.CELERY_TASK_DEFAULT_QUEUE
        batch.append((entry, publishing.Outgoing(entry.task, args, kwargs, uuid(), queue)))
        linked.append(original)
    created = send_many(batch, owner=owner, retry_of=linked, sent_from=sent_from) if batch else []
    return BulkAction([record.task_id for record in created], len(truth) - len(created), more)


def revoke_unfinished(records, terminate: bool = False, limit: int | None = None) -> BulkAction:
    """Revoke every queued or running task of `records`, up to the cap, durably and as
    services.revoke does for one: waiting tasks (and, with `terminate`, running ones) are marked
    REVOKED; running ones without it finish their run, their revocation recorded as requested."""
    targets, more = _batch(revocable(records), limit)
    truth = status.states(record.task_id for record in targets)
    task_ids = [task_id for task_id, state in truth.items() if state not in FINISHED_STATES]
    running = [task_id for task_id in task_ids if truth[task_id] not in WAITING_STATES]
    backend = current_app.backend
    with transaction.atomic():
        if not terminate:
            TaskRecord.objects.filter(task_id__in=running).update(revoke_requested_at=timezone.now())
        for task_id in task_ids:
            if terminate or task_id not in running:
                backend.mark_as_revoked(task_id, reason="revoked on request (revoke all)")
    told = control.revoke(task_ids, terminate=terminate, signal=settings.TASK_TERMINATE_SIGNAL) if task_ids else True
    return BulkAction(task_ids, len(truth) - len(task_ids), more, workers_told=told)
