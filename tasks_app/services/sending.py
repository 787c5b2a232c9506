"""Sending tasks: one (`enqueue`) or many at once (`enqueue_many`), recorded and published together."""

from __future__ import annotations

from contextlib import nullcontext

from celery import uuid
from django.db import transaction
from django.utils import timezone
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError

from tasks_app import catalog, ratelimit
from tasks_app.broker import publishing, queues
from tasks_app.errors import UserError
from tasks_app.models import TaskRecord
from tasks_app.validation import TaskInputError


class BrokerUnavailable(UserError):
    """The broker did not take the task; nothing was recorded. `message` is for anyone; `detail` is the
    library's own words, which name the broker's host and port: for staff, the CLI and the logs."""

    def __init__(self, message: str, detail: str = "", after: str = ""):
        super().__init__(f"{message}{after}")
        self.detail = detail
        self.full_text = f"{message}: {detail}{after}" if detail else self.message

    def __str__(self) -> str:
        return self.full_text

    def text_for(self, staff: bool) -> str:
        if staff or not self.detail:
            return self.full_text
        return f"{self.message.rstrip('.')}; only staff see the broker's own error."


def site_time_zone():
    return timezone.get_default_timezone()


def send(
    entry: catalog.Entry,
    args: list,
    kwargs: dict,
    queue_name: str,
    periodic_task_name: str = "",
    owner=None,
    by_hand: bool = False,
    retry_of: TaskRecord | None = None,
    options: dict | None = None,
    sent_from: str = "",
) -> TaskRecord:
    """Record, then publish: the record (and the owner's rate-limit count) is committed before the
    message leaves, so no worker can report on a task whose record it cannot see yet. If the broker
    refuses the message, the record is deleted and the count given back, so no page ever claims a
    task is queued that no broker holds. `options` go to apply_async as they are (eta, priority,
    time_limit, headers: tasks_app.djtasks sends with them). `sent_from` names the way in (SentFrom)."""
    # delay_on_commit would return no id; the status page needs it now, so make it here.
    task_id = uuid()
    options = dict(options or {})
    headers = {**(options.pop("headers", None) or {}), queues.RECORDED_HEADER: True}
    if periodic_task_name:
        headers["periodic_task_name"] = periodic_task_name
    # The count and the record commit together; alone, the INSERT commits itself (two round trips
    # fewer, a third of the record's cost), in one statement compiled once (managers.RecordManager).
    with transaction.atomic() if ratelimit.applies(owner, "enqueue") else nullcontext():
        ratelimit.take(owner, "enqueue")
        record = TaskRecord.objects.record(
            task_id=task_id,
            task_name=entry.name,
            args=args,
            kwargs=kwargs,
            queue=queue_name,
            periodic_task_name=periodic_task_name,
            owner=owner,
            by_hand=by_hand,
            retry_of=retry_of,
            sent_from=sent_from,
        )
    try:
        entry.task.apply_async(args, kwargs, task_id=task_id, queue=queue_name, headers=headers, **options)
    except OperationalError as exc:
        with transaction.atomic():
            record.delete()
            ratelimit.give_back(owner, "enqueue")
        raise BrokerUnavailable("The task broker is not reachable, so the task was not queued", str(exc)) from exc
    if transaction.get_connection().in_atomic_block:
        # The caller's own transaction holds the record uncommitted, so a fast worker may report
        # before it is visible and its state mirror find nothing to update: copy it at commit.
        transaction.on_commit(lambda: catch_up(task_id))
    return record


def catch_up(task_id: str) -> None:
    """Copy the worker's reported state onto a record committed after the report."""
    found = TaskResult.objects.filter(task_id=task_id).values_list("status", flat=True).first()
    if found:
        TaskRecord.mirror_state(task_id, found)


def enqueue(task, args=None, kwargs=None, queue=None, owner=None, sent_from: str = "") -> TaskRecord:
    """Validate, record and send one task; the record's task_id is the Celery task id.

    `owner` is the user who asked (None for local mode and the CLI): it may see the task, and
    its rate limit counts it (ratelimit.RateLimited when over).
    """
    entry = catalog.get(task)
    args, kwargs = entry.bind(args, kwargs)
    return send(entry, args, kwargs, catalog.queue_name(queue or entry.queue), owner=owner, sent_from=sent_from)


def _prepare(position: int, spec) -> tuple[catalog.Entry, publishing.Outgoing]:
    """One task of a bulk request, validated as `enqueue` validates; errors name its position."""
    try:
        entry = catalog.get(spec.get("task"))
        args, kwargs = entry.bind(spec.get("args"), spec.get("kwargs"))
        queue_name = catalog.queue_name(spec.get("queue") or entry.queue)
    except TaskInputError as exc:
        raise TaskInputError(f"Task {position}: {exc.message}", field=f"tasks[{position}].{exc.field}") from None
    return entry, publishing.Outgoing(entry.task, args, kwargs, uuid(), queue_name)


def enqueue_many(specs, owner=None, sent_from: str = "") -> list[TaskRecord]:
    """Validate every task first (all or nothing), then record them all and publish them all in
    as few broker round trips as the broker allows (see `publishing`); records in request order.

    `specs` are dicts with `task` and optional `args`, `kwargs`, `queue`, as `enqueue` takes them;
    a TaskInputError's field says which one is at fault (`tasks[3].args`).
    """
    batch = [_prepare(position, spec) for position, spec in enumerate(specs)]
    return send_many(batch, owner=owner, sent_from=sent_from)


def send_many(
    batch: list[tuple[catalog.Entry, publishing.Outgoing]], owner=None, retry_of=None, sent_from: str = ""
) -> list[TaskRecord]:
    """Record and publish validated messages together (enqueue_many, retry-all): the records, the
    owner's rate-limit count (one per task) and the publishing share one transaction, so if the
    broker fails or does not confirm every message, nothing stays recorded as queued. Messages the
    broker took before it failed may still run; their result rows then show them. `retry_of`, when
    given, lists the original of each message, in order."""
    outgoing = [message for _entry, message in batch]
    originals = retry_of or [None] * len(batch)
    try:
        with transaction.atomic():
            ratelimit.take(owner, "enqueue", cost=len(outgoing))
            records = TaskRecord.objects.bulk_create(
                TaskRecord(
                    task_id=message.task_id,
                    task_name=entry.name,
                    args=message.args,
                    kwargs=message.kwargs,
                    queue=message.queue,
                    owner=owner,
                    retry_of=original,
                    sent_from=sent_from,
                )
                for (entry, message), original in zip(batch, originals, strict=True)
            )
            publishing.publish_many(outgoing)
    except OperationalError as exc:
        raise BrokerUnavailable("The task broker is not reachable, so no task was queued", str(exc)) from exc
    except publishing.PublishFailed as exc:
        raise BrokerUnavailable(
            "The task broker failed while the tasks were being sent, so none is recorded as queued",
            str(exc),
            after=". Tasks it took before it failed may still run; their status pages show them when they do.",
        ) from exc
    return records
