"""Enqueue, schedule and act on periodic tasks: the one place the form, the API and the CLI call."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from celery import current_app, uuid
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from tasks_app import catalog, publishing, ratelimit, schedules, status
from tasks_app.catalog import TaskInputError
from tasks_app.models import TaskRecord


class BrokerUnavailable(Exception):
    """The broker did not take the task; nothing was recorded."""


def site_time_zone():
    return timezone.get_default_timezone()


def _send(
    entry: catalog.Entry, args: list, kwargs: dict, queue_name: str, periodic_task_name: str = "", owner=None
) -> TaskRecord:
    """Record and publish in one transaction: if the broker refuses the message the record is
    rolled back (and the owner's rate-limit count with it), so no page ever claims a task is
    queued that no broker holds."""
    # delay_on_commit would return no id; the status page needs it now, so make it here.
    task_id = uuid()
    headers = {"periodic_task_name": periodic_task_name} if periodic_task_name else None
    try:
        with transaction.atomic():
            ratelimit.take(owner, "enqueue")
            record = TaskRecord.objects.create(
                task_id=task_id,
                task_name=entry.name,
                args=args,
                kwargs=kwargs,
                queue=queue_name,
                periodic_task_name=periodic_task_name,
                owner=owner,
            )
            entry.task.apply_async(args, kwargs, task_id=task_id, queue=queue_name, headers=headers)
    except OperationalError as exc:
        raise BrokerUnavailable(f"The task broker is not reachable, so the task was not queued: {exc}") from exc
    return record


def enqueue(task, args=None, kwargs=None, queue=None, owner=None) -> TaskRecord:
    """Validate, record and send one task; the record's task_id is the Celery task id.

    `owner` is the user who asked (None for local mode and the CLI): it may see the task, and
    its rate limit counts it (ratelimit.RateLimited when over).
    """
    entry = catalog.get(task)
    args, kwargs = entry.bind(args, kwargs)
    return _send(entry, args, kwargs, catalog.queue_name(queue or entry.queue), owner=owner)


def _prepare(position: int, spec) -> tuple[catalog.Entry, publishing.Outgoing]:
    """One task of a bulk request, validated as `enqueue` validates; errors name its position."""
    try:
        entry = catalog.get(spec.get("task"))
        args, kwargs = entry.bind(spec.get("args"), spec.get("kwargs"))
        queue_name = catalog.queue_name(spec.get("queue") or entry.queue)
    except TaskInputError as exc:
        raise TaskInputError(f"Task {position}: {exc.message}", field=f"tasks[{position}].{exc.field}") from None
    return entry, publishing.Outgoing(entry.task, args, kwargs, uuid(), queue_name)


def enqueue_many(specs, owner=None) -> list[TaskRecord]:
    """Validate every task first (all or nothing), then record them all and publish them all in
    as few broker round trips as the broker allows (see `publishing`); records in request order.

    `specs` are dicts with `task` and optional `args`, `kwargs`, `queue`, as `enqueue` takes them;
    a TaskInputError's field says which one is at fault (`tasks[3].args`). The records, the
    owner's rate-limit count (one per task) and the publishing share one transaction: if the
    broker fails or does not confirm every message, nothing stays recorded as queued. Messages
    the broker took before it failed may still run; their result rows then show them.
    """
    prepared = [_prepare(position, spec) for position, spec in enumerate(specs)]
    outgoing = [message for _entry, message in prepared]
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
                )
                for entry, message in prepared
            )
            publishing.publish_many(outgoing)
    except OperationalError as exc:
        raise BrokerUnavailable(f"The task broker is not reachable, so no task was queued: {exc}") from exc
    except publishing.PublishFailed as exc:
        raise BrokerUnavailable(
            f"The task broker failed while the tasks were being sent, so none is recorded as queued: {exc}. "
            "Tasks it took before it failed may still run; their status pages show them when they do."
        ) from exc
    return records


def parse_schedule(text) -> schedules.Spec:
    if not isinstance(text, str):
        raise TaskInputError("The schedule must be text, such as 'every 5 minutes'.", field="schedule")
    try:
        return schedules.parse(text, tz=site_time_zone(), now=timezone.now())
    except schedules.ScheduleError as exc:
        raise TaskInputError(exc.message, field="schedule") from None


def _periodic_name(entry: catalog.Entry, name) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        return f"{entry.name} {secrets.token_hex(3)}"
    if not isinstance(name, str) or len(name.strip()) > 200:
        raise TaskInputError("The name must be text of at most 200 characters.", field="name")
    # The form checks this itself; the API reaches here directly (PostgreSQL refuses a NUL).
    return catalog.check_text(name.strip(), "name", "The name")


def schedule(task, args=None, kwargs=None, queue=None, schedule_text="", name=None, owner=None) -> PeriodicTask:
    """Validate everything, then create the schedule row (reusing an identical one) and the
    PeriodicTask in one transaction; beat's DatabaseScheduler notices the change. `owner`'s
    rate limit counts it."""
    entry = catalog.get(task)
    args, kwargs = entry.bind(args, kwargs)
    queue_name = catalog.queue_name(queue or entry.queue)
    spec = parse_schedule(schedule_text)
    periodic_name = _periodic_name(entry, name)
    with transaction.atomic():
        ratelimit.take(owner, "schedule")
        if PeriodicTask.objects.filter(name=periodic_name).exists():
            raise TaskInputError(f"A periodic task named {periodic_name!r} already exists.", field="name")
        field, row = schedules.save_schedule(spec, tz=site_time_zone())
        return PeriodicTask.objects.create(
            name=periodic_name,
            task=entry.task.name,
            args=json.dumps(args),
            kwargs=json.dumps(kwargs),
            queue=queue_name,
            one_off=isinstance(spec, schedules.ClockedSpec),
            **{field: row},
        )


def run_now(periodic: PeriodicTask, owner=None) -> TaskRecord:
    """Send a periodic task's task at once, as a run of that periodic task."""
    entry = catalog.by_task_name(periodic.task)
    if entry is None:
        raise TaskInputError(f"{periodic.task!r} is not a task this site runs.", field="task")
    args, kwargs = entry.bind(json.loads(periodic.args or "[]"), json.loads(periodic.kwargs or "{}"))
    queue_name = periodic.queue or settings.CELERY_TASK_DEFAULT_QUEUE
    return _send(entry, args, kwargs, queue_name, periodic_task_name=periodic.name, owner=owner)


def set_enabled(periodic: PeriodicTask, enabled: bool) -> None:
    periodic.enabled = enabled
    periodic.save()  # save(), not update(): django-celery-beat's signal tells beat it changed


def delete(periodic: PeriodicTask) -> None:
    periodic.delete()


CHANGEABLE = ("schedule", "args", "kwargs", "queue", "enabled", "name")


def _stored_json(text: str, default):
    try:
        return json.loads(text) if text else default
    except ValueError:
        return text  # an admin's hand-written value; bind() refuses it with a clear message


def change_periodic(periodic: PeriodicTask, changes: dict) -> PeriodicTask:
    """Change a periodic task's schedule, args, kwargs, queue, enabled flag or name.

    Each value is validated as `schedule` validates a new periodic task (args and kwargs are
    bound to the task's signature together, changed or not), and the row is saved with save(),
    whose signal tells beat's DatabaseScheduler that something changed. Renaming carries the
    runs recorded under the old name along, so the task keeps its history.
    """
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise TaskInputError(f"{unknown[0]!r} cannot be changed; these can: {', '.join(CHANGEABLE)}.", unknown[0])
    entry = catalog.by_task_name(periodic.task)
    if entry is None:
        raise TaskInputError(f"{periodic.task!r} is not a task this site runs; change it in the admin.", field="task")
    args = changes["args"] if "args" in changes else _stored_json(periodic.args, [])
    kwargs = changes["kwargs"] if "kwargs" in changes else _stored_json(periodic.kwargs, {})
    args, kwargs = entry.bind(args, kwargs)
    queue_name = catalog.queue_name(changes["queue"] or entry.queue) if "queue" in changes else periodic.queue
    spec = parse_schedule(changes["schedule"]) if "schedule" in changes else None
    enabled = changes.get("enabled", periodic.enabled)
    if not isinstance(enabled, bool):
        raise TaskInputError("Enabled must be true or false.", field="enabled")
    name = periodic.name
    if "name" in changes:
        if not isinstance(changes["name"], str) or not changes["name"].strip():
            raise TaskInputError("The name must be text, not empty: a periodic task keeps a name.", field="name")
        name = _periodic_name(entry, changes["name"])
    with transaction.atomic():
        if name != periodic.name:
            if PeriodicTask.objects.filter(name=name).exclude(pk=periodic.pk).exists():
                raise TaskInputError(f"A periodic task named {name!r} already exists.", field="name")
            TaskRecord.objects.filter(periodic_task_name=periodic.name).update(periodic_task_name=name)
        if spec is not None:
            field, row = schedules.save_schedule(spec, tz=site_time_zone())
            for kind in ("interval", "crontab", "solar", "clocked"):
                setattr(periodic, kind, None)
            setattr(periodic, field, row)
            periodic.one_off = isinstance(spec, schedules.ClockedSpec)
        periodic.name = name
        periodic.args = json.dumps(args)
        periodic.kwargs = json.dumps(kwargs)
        periodic.queue = queue_name
        periodic.enabled = enabled
        periodic.save()  # save(), not update(): django-celery-beat's signal tells beat it changed
    return periodic


# --- Retry and revoke ------------------------------------------------------------------------


class TaskNotFound(TaskInputError):
    """No task with this id is known to the site (callers answer 404)."""

    def __init__(self, task_id: str):
        super().__init__(f"No task with id {task_id!r} is known to this site.", field="id")


class TaskStateConflict(TaskInputError):
    """The task is in a state that does not allow the action (callers answer 409)."""

    def __init__(self, message: str):
        super().__init__(message, field="id")


RETRYABLE_STATES = status.FINISHED_STATES  # SUCCESS, FAILURE, REVOKED


def find_record(task_id) -> TaskRecord:
    """The site's record of a task, or TaskNotFound (also for ids no task could have)."""
    if not isinstance(task_id, str):
        raise TaskNotFound(catalog.short_repr(task_id))
    try:
        catalog.check_text(task_id, "id", "The task id", max_chars=255)
    except TaskInputError:
        raise TaskNotFound(task_id) from None
    record = TaskRecord.objects.filter(task_id=task_id).first()
    if record is None:
        raise TaskNotFound(task_id)
    return record


def retry(task_id, owner=None) -> TaskRecord:
    """Run a finished task again as a new task: the exact JSON args, kwargs and queue it was sent
    with (the site's record, not the worker's repr of them), linked to it by `retry_of`. `owner`
    (who asked) owns the new task, and its rate limit counts it."""
    original = find_record(task_id)
    state = status.states([original.task_id])[original.task_id]
    if state not in RETRYABLE_STATES:
        raise TaskStateConflict(
            f"Task {original.task_id} is {state}; only a finished task (SUCCESS, FAILURE or REVOKED) can be retried."
        )
    entry = catalog.get(original.task_name)
    args, kwargs = entry.bind(original.args, original.kwargs)
    queue_name = original.queue or settings.CELERY_TASK_DEFAULT_QUEUE
    with transaction.atomic():
        record = _send(entry, args, kwargs, queue_name, owner=owner)
        record.retry_of = original
        record.save(update_fields=["retry_of"])
    return record


@dataclass(frozen=True)
class Revocation:
    task_id: str
    previous_state: str
    terminate: bool
    workers_told: bool  # False when the broker was unreachable: the database mark still holds


def revoke(task_id, terminate=False) -> Revocation:
    """Revoke a queued or running task, durably.

    The REVOKED result row is written first: the site's tasks check it before they run (see
    tasks_app.revocation), so a task revoked while no worker is up never runs. Then the workers
    that are up are told, so that one holding the task (prefetched, or waiting on a retry
    countdown) drops it, and with `terminate` the pool process running it is killed with
    settings.TASK_TERMINATE_SIGNAL. A running task that is not terminated finishes its current
    run (Celery cannot stop it politely), and its outcome replaces REVOKED; it is never run again.
    The threads pool (the embedded test worker) cannot kill a thread: there `terminate` does nothing.
    """
    if not isinstance(terminate, bool):
        raise TaskInputError("'terminate' must be true or false.", field="terminate")
    record = find_record(task_id)
    state = status.states([record.task_id])[record.task_id]
    if state in status.FINISHED_STATES:
        raise TaskStateConflict(
            f"Task {record.task_id} is already {state}; only a queued or running task can be revoked."
        )
    app = current_app._get_current_object()
    app.backend.mark_as_revoked(record.task_id, reason="revoked on request")
    try:
        # A connection of its own: through the pool, the broadcast takes a pooled connection and then
        # waits for a second one for its producer, for ever where the pool holds one (RabbitMQ's
        # CELERY_BROKER_POOL_LIMIT=1 here).
        with app.connection_for_write() as connection:
            app.control.revoke(
                record.task_id, terminate=terminate, signal=settings.TASK_TERMINATE_SIGNAL, connection=connection
            )
    except OperationalError:
        return Revocation(record.task_id, state, terminate, workers_told=False)
    return Revocation(record.task_id, state, terminate, workers_told=True)
