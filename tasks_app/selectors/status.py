"""What the site knows about one task: its own record joined with the worker's result row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Subquery
from django_celery_results.models import TaskResult

from tasks_app import catalog
from tasks_app.lib.formats import iso, stored_json
from tasks_app.models import SentFrom, TaskRecord
from tasks_app.selectors import timeline
from tasks_app.states import FAILED_STATES, FINISHED_STATES, PROGRESS, QUEUED


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    task_name: str
    args: object
    kwargs: object
    queue: str
    state: str
    result: object
    error: str
    traceback: str
    worker: str
    enqueued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict | None = None  # {"percent": 0-100, "message": str} while a task reports it
    owner_id: int | None = None  # who started it (tasks_app.access decides who may see it)
    retry_of: str = ""  # the id of the task this one re-ran (services.retry)
    # The ids of the tasks that re-ran this one (services.retry), oldest first; the JSON gives the
    # latest, as the tasks list does (one subquery per row there, tasks_app.selectors.task_list.page).
    retried_as: tuple[str, ...] = ()
    # A task that retries by itself (fetch_url): {"attempt": n, "max_attempts": m, "errors": [...]}
    attempts: dict | None = None
    recorded: bool = False  # the site sent it (a TaskRecord exists), so it can be retried or revoked
    # When a revoke was asked for while it ran: this run finishes, and it does not run again.
    revoke_requested_at: datetime | None = None
    timeline: tuple[timeline.Event, ...] = ()  # its history (selectors.timeline)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def runtime_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def as_json(self) -> dict:
        return {
            "id": self.task_id,
            "task": self.task_name,
            "args": self.args,
            "kwargs": self.kwargs,
            "queue": self.queue,
            "state": self.state,
            "finished": self.finished,
            "result": self.result,
            "error": self.error or None,
            "traceback": self.traceback or None,
            "worker": self.worker or None,
            "enqueued_at": iso(self.enqueued_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "runtime_seconds": self.runtime_seconds,
            "progress": self.progress,
            "retry_of": self.retry_of or None,
            "retried_as": self.retried_as[-1] if self.retried_as else None,
            "attempts": self.attempts,
            "revoke_requested_at": iso(self.revoke_requested_at),
            "timeline": [event.as_json() for event in self.timeline],
        }


def _decode(row: TaskResult):
    if row.result is None:
        return None
    if row.content_type == "application/json":
        return json.loads(row.result)
    return row.result  # never unpickled: JSON is the only serializer the site accepts


def _progress(state: str, payload) -> dict | None:
    if state == PROGRESS and isinstance(payload, dict):
        percent = payload.get("percent")
        if isinstance(percent, int | float) and not isinstance(percent, bool):
            return {"percent": max(0, min(100, percent)), "message": str(payload.get("message", ""))}
    return None


def _error_text(payload) -> str:
    if isinstance(payload, dict) and "exc_type" in payload:
        message = payload.get("exc_message")
        if isinstance(message, list | tuple):
            message = ", ".join(str(part) for part in message)
        return f"{payload['exc_type']}: {message}"
    return str(payload)


def get(task_id: str) -> TaskStatus | None:
    """The task's status, or None when the site never saw this id."""
    sender = F(f"owner__{get_user_model().USERNAME_FIELD}")
    record = TaskRecord.objects.filter(task_id=task_id).annotate(sent_by=sender).first()
    row = TaskResult.objects.filter(task_id=task_id).first()
    if record is None and row is None:
        return None
    state = row.status if row else QUEUED
    fields = {
        **(_as_sent(record) if record else _as_received(row)),
        **_outcome(state, _decode(row) if row else None),
        **_run(row, state),
    }
    facts = timeline.Facts(
        state=state,
        enqueued_at=fields["enqueued_at"],
        sent_from=record.sent_from if record else SentFrom.OUTSIDE,
        sent_by=(record.sent_by or "") if record else "",
        periodic_task=record.periodic_task_name if record else "",
        by_hand=record.by_hand if record else False,
        retry_of=fields.get("retry_of", ""),
        started_at=fields["started_at"],
        worker=fields["worker"],
        attempts=fields["attempts"],
        attempt_starts=_attempt_starts(row),
        reported_at=row.date_done if row else None,
        progress=fields["progress"],
        revoke_requested_at=fields.get("revoke_requested_at"),
        finished_at=fields["finished_at"],
        error=fields["error"],
    )
    return TaskStatus(task_id=task_id, state=state, timeline=timeline.build(facts), **fields)


def _as_sent(record: TaskRecord) -> dict:
    """What the site recorded as it sent the task: the exact JSON input, who asked, its retries."""
    return {
        "task_name": record.task_name,
        "args": record.args,
        "kwargs": record.kwargs,
        "queue": catalog.short_queue(record.queue),
        "enqueued_at": record.created_at,
        "owner_id": record.owner_id,
        "retry_of": record.retry_of_id or "",
        "retried_as": tuple(retries_of(record.task_id)),
        "recorded": True,
        "revoke_requested_at": record.revoke_requested_at,
    }


def _as_received(row: TaskResult) -> dict:
    """A task sent from outside the site: its input as the worker's result row gives it."""
    return {
        "task_name": row.task_name or "",
        "args": stored_json(row.task_args, []),
        "kwargs": stored_json(row.task_kwargs, {}),
        "queue": "",
        "enqueued_at": row.date_created,
    }


def _outcome(state: str, payload) -> dict:
    """The result, the error or the progress the payload stands for in this state."""
    failed = state in FAILED_STATES  # a revoked task's "error" says why (who dropped it, when)
    progress = _progress(state, payload)
    return {
        "result": None if failed or progress else payload,
        "error": _error_text(payload) if failed else "",
        "progress": progress,
    }


def _run(row: TaskResult | None, state: str) -> dict:
    """Where and when it ran, as the worker's result row says (nothing yet without one)."""
    if row is None:
        return {"traceback": "", "worker": "", "started_at": None, "finished_at": None, "attempts": None}
    return {
        "traceback": row.traceback or "",
        "worker": row.worker or "",
        "started_at": row.date_started,
        "finished_at": row.date_done if state in FINISHED_STATES else None,
        "attempts": _attempts(row),
    }


def _meta(row: TaskResult | None) -> dict:
    try:
        meta = json.loads(row.meta) if row is not None and row.meta else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _attempt_starts(row: TaskResult | None) -> tuple[str, ...]:
    """When each attempt started, as a retrying or restarted task keeps it (worker.restarts.attempt_starts)."""
    starts = _meta(row).get("starts")
    return tuple(str(start) for start in starts) if isinstance(starts, list) else ()


def _attempts(row: TaskResult | None) -> dict | None:
    """What a retrying task stored about its attempts in the result's meta (see tasks.fetch_url)."""
    meta = _meta(row)
    if not isinstance(meta.get("attempt"), int):
        return None
    errors = meta.get("errors")
    return {
        "attempt": meta["attempt"],
        "max_attempts": meta.get("max_attempts"),
        # Refused (the URL or its address), so not tried again whatever FETCH_URL_MAX_RETRIES allows.
        "not_retried": bool(meta.get("not_retried")),
        "errors": [str(error) for error in errors] if isinstance(errors, list) else [],
    }


def retries_of(task_id: str):
    """The ids of the tasks that re-ran `task_id` (services.retry), oldest first."""
    retries = TaskRecord.objects.filter(retry_of_id=task_id).order_by("created_at", "id")
    return retries.values_list("task_id", flat=True)


def latest_retry():
    """A subquery for a TaskRecord queryset's annotate(): the id of the latest task that re-ran each row."""
    return Subquery(retries_of(OuterRef("task_id")).reverse()[:1])


def states(task_ids) -> dict[str, str]:
    """Each task's state in one query (QUEUED where no worker has reported yet)."""
    task_ids = list(task_ids)
    found = dict(TaskResult.objects.filter(task_id__in=task_ids).values_list("task_id", "status"))
    return {task_id: found.get(task_id, QUEUED) for task_id in task_ids}


def with_states(records):
    """`records` (TaskRecords), each with `state` read from its result row, in one query: the
    result row is the truth, the record's mirrored state serves the list's filter."""
    records = list(records)
    found = states(record.task_id for record in records)
    for record in records:
        record.state = found[record.task_id]
    return records
