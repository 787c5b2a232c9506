"""Periodic tasks: create one from a schedule line, change, enable, run now, delete.

Every change is saved with save(), whose django-celery-beat signal tells beat's DatabaseScheduler
that something changed.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import catalog, ratelimit, schedules, validation
from tasks_app.lib.formats import stored_json
from tasks_app.models import TaskRecord
from tasks_app.services.sending import send, site_time_zone
from tasks_app.services.task_actions import TaskStateConflict
from tasks_app.validation import TaskInputError


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
    return validation.check_text(name.strip(), "name", "The name")


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
        periodic = PeriodicTask(
            name=periodic_name,
            task=entry.task.name,
            args=json.dumps(args),
            kwargs=json.dumps(kwargs),
            queue=queue_name,
            one_off=isinstance(spec, schedules.ClockedSpec),
            **{field: row},
        )
        schedules.save_with_limits(periodic, spec)
        return periodic


def addon_warning(spec: schedules.Spec | None) -> str | None:
    """In scheduler add-on mode, what a schedule finer than the add-on's interval will really do."""
    interval = settings.SCHEDULER_ADDON_INTERVAL
    if not interval or spec is None:
        return None
    try:
        gap = schedules.shortest_gap(spec, tz=site_time_zone(), after=timezone.now())
    except schedules.ScheduleError:  # a row that cannot be described: its summary says why
        return None
    if not interval or gap is None or gap >= interval:
        return None
    return (
        f"This schedule runs every {gap:g} s at its finest, but with no beat process the scheduler add-on "
        f"sends due tasks only every {interval} s (SCHEDULER_ADDON_INTERVAL): each pass sends a due task "
        "once, so runs in between are skipped and each is up to that late."
    )


def run_now(periodic: PeriodicTask, owner=None, sent_from: str = "") -> TaskRecord:
    """Send a periodic task's task at once, as a run of that periodic task."""
    entry = catalog.by_task_name(periodic.task)
    if entry is None:
        raise TaskInputError(f"{periodic.task!r} is not a task this site runs.", field="task")
    args, kwargs = entry.bind(json.loads(periodic.args or "[]"), json.loads(periodic.kwargs or "{}"))
    queue_name = periodic.queue or settings.CELERY_TASK_DEFAULT_QUEUE
    return send(
        entry,
        args,
        kwargs,
        queue_name,
        periodic_task_name=periodic.name,
        owner=owner,
        by_hand=True,
        sent_from=sent_from,
    )


def set_enabled(periodic: PeriodicTask, enabled: bool) -> None:
    if enabled and not periodic.enabled:
        _refuse_enabling_finished(periodic)
    periodic.enabled = enabled
    periodic.save()  # save(), not update(): django-celery-beat's signal tells beat it changed


def finished_reason(periodic: PeriodicTask, now=None) -> str | None:
    """Why `periodic` has no runs left, whatever its kind, or None while it has some.

    One rule for one-offs and bounded schedules: a one-off whose time has passed, a schedule that
    has made all its `times` runs, one whose `until` has passed. Enabling such a task cannot give
    it runs (beat would disable a bounded one again at once, and run a spent one-off at once,
    unannounced); only a new schedule can, and a new schedule starts the count again.
    """
    now = now or timezone.now()
    if periodic.clocked_id and periodic.clocked.clocked_time <= now:
        at = timezone.localtime(periodic.clocked.clocked_time, site_time_zone())
        return f"it was a one-off for {at:%Y-%m-%d %H:%M:%S %Z}, which has passed"
    limits = schedules.limits_of(periodic)
    if limits.times is not None and periodic.total_run_count >= limits.times:
        return f"it has made {periodic.total_run_count} of its {limits.times} runs"
    if limits.until is not None and now >= limits.until:
        at = timezone.localtime(limits.until, site_time_zone())
        return f"its end, {at:%Y-%m-%d %H:%M:%S %Z}, has passed"
    return None


def _refuse_enabling_finished(periodic: PeriodicTask) -> None:
    """Refuse to enable a task with no runs left (see finished_reason), and say what would help."""
    reason = finished_reason(periodic)
    if reason:
        raise TaskStateConflict(
            f"{periodic.name} stays disabled: {reason}. Enabling it cannot give it new runs; give it a new "
            "schedule (Edit; a new schedule starts the count again), or use Run now to send it once."
        )


def delete(periodic: PeriodicTask) -> None:
    periodic.delete()


CHANGEABLE = ("schedule", "args", "kwargs", "queue", "enabled", "name")  # what PATCH /api/periodic/<id>/ takes
EDITABLE = (*CHANGEABLE, "task")  # the Edit page also changes which task it runs


def change_periodic(periodic: PeriodicTask, changes: dict) -> PeriodicTask:
    """Change a periodic task's schedule, args, kwargs, queue, enabled flag, name or task.

    Each value is validated as `schedule` validates a new periodic task (args and kwargs are
    bound to the task's signature together, changed or not), and the row is saved with save(),
    whose signal tells beat's DatabaseScheduler that something changed. Renaming carries the
    runs recorded under the old name along, so the task keeps its history. A new schedule starts
    its count of runs again (`, N times` counts the runs of the schedule as last written).
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TaskInputError(f"{unknown[0]!r} cannot be changed; these can: {', '.join(EDITABLE)}.", unknown[0])
    entry = _changed_entry(periodic, changes)
    args, kwargs = entry.bind(
        changes["args"] if "args" in changes else stored_json(periodic.args, []),
        changes["kwargs"] if "kwargs" in changes else stored_json(periodic.kwargs, {}),
    )
    queue_name = catalog.queue_name(changes["queue"] or entry.queue) if "queue" in changes else periodic.queue
    spec = parse_schedule(changes["schedule"]) if "schedule" in changes else None
    enabled = _changed_enabled(periodic, changes, spec)
    name = _changed_name(periodic, changes, entry)
    with transaction.atomic():
        if name != periodic.name:
            _rename(periodic, name)
        if spec is not None:
            _replace_schedule(periodic, spec)
        periodic.task = entry.task.name
        periodic.args = json.dumps(args)
        periodic.kwargs = json.dumps(kwargs)
        periodic.queue = queue_name
        periodic.enabled = enabled
        if spec is not None:
            schedules.save_with_limits(periodic, spec)
        else:
            periodic.save()  # save(), not update(): django-celery-beat's signal tells beat it changed
    return periodic


def _changed_entry(periodic: PeriodicTask, changes: dict) -> catalog.Entry:
    """The catalog entry of the task it will run: the new one, or the one it runs now."""
    entry = catalog.get(changes["task"]) if "task" in changes else catalog.by_task_name(periodic.task)
    if entry is None:
        raise TaskInputError(f"{periodic.task!r} is not a task this site runs; change it in the admin.", field="task")
    return entry


def _changed_enabled(periodic: PeriodicTask, changes: dict, spec: schedules.Spec | None) -> bool:
    """The enabled flag it will have; enabling one with no runs left is refused unless it gets a new schedule."""
    enabled = changes.get("enabled", periodic.enabled)
    if not isinstance(enabled, bool):
        raise TaskInputError("Enabled must be true or false.", field="enabled")
    if enabled and not periodic.enabled and spec is None:
        _refuse_enabling_finished(periodic)
    return enabled


def _changed_name(periodic: PeriodicTask, changes: dict, entry: catalog.Entry) -> str:
    if "name" not in changes:
        return periodic.name
    if not isinstance(changes["name"], str) or not changes["name"].strip():
        raise TaskInputError("The name must be text, not empty: a periodic task keeps a name.", field="name")
    return _periodic_name(entry, changes["name"])


def _rename(periodic: PeriodicTask, name: str) -> None:
    """Rename it (unsaved), carrying the runs recorded under the old name along: it keeps its history."""
    if PeriodicTask.objects.filter(name=name).exclude(pk=periodic.pk).exists():
        raise TaskInputError(f"A periodic task named {name!r} already exists.", field="name")
    TaskRecord.objects.filter(periodic_task_name=periodic.name).update(periodic_task_name=name)
    periodic.name = name


def _replace_schedule(periodic: PeriodicTask, spec: schedules.Spec) -> None:
    """Point it (unsaved) at the schedule row of `spec`, alone; its count of runs starts again."""
    field, row = schedules.save_schedule(spec, tz=site_time_zone())
    for kind in ("interval", "crontab", "solar", "clocked"):
        setattr(periodic, kind, None)
    setattr(periodic, field, row)
    periodic.one_off = isinstance(spec, schedules.ClockedSpec)
    periodic.total_run_count = 0
