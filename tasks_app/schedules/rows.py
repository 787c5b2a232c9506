"""Schedule specs <-> django-celery-beat rows: the part of the package that touches the database.

The parser, descriptions and run times (the package's __init__ and the kind modules) work on
specs alone; saving a spec and reading one back from a PeriodicTask live here.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule

from tasks_app.models import RunLimit
from tasks_app.schedules.crontab import crontab_kwargs
from tasks_app.schedules.specs import NO_LIMITS, ClockedSpec, CrontabSpec, IntervalSpec, Limits, Spec


def save_schedule(spec: Spec, *, tz: ZoneInfo) -> tuple[str, object]:
    """Get or create the django-celery-beat row for `spec`: (PeriodicTask field name, row).

    Opens no transaction of its own: the caller saves the PeriodicTask in the same one.
    """
    if isinstance(spec, CrontabSpec):
        lookup = {**crontab_kwargs(spec), "timezone": tz}
        return "crontab", _get_or_create(CrontabSchedule, lookup)
    if isinstance(spec, IntervalSpec):
        return "interval", _get_or_create(IntervalSchedule, {"every": spec.every, "period": spec.period})
    return "clocked", _get_or_create(ClockedSchedule, {"clocked_time": spec.at})


def save_with_limits(task, spec: Spec) -> None:
    """Save the PeriodicTask `task` with `spec`'s limits where beat honours them: `from` and `until`
    on the row itself, `times` in its RunLimit row. save(), not update(): django-celery-beat's
    signal tells beat the row changed. Call inside the caller's transaction."""
    bounds = getattr(spec, "limits", NO_LIMITS)
    task.start_time, task.expires = bounds.start, bounds.until
    task.save()
    if bounds.times is None:
        RunLimit.objects.filter(periodic_task=task).delete()
    else:
        RunLimit.objects.update_or_create(periodic_task=task, defaults={"max_runs": bounds.times})


def limits_of(task) -> Limits:
    """A PeriodicTask's limits as beat honours them, however they were set (here or in the admin)."""
    try:
        times = task.run_limit.max_runs
    except ObjectDoesNotExist:
        times = None
    return Limits(times=times, start=task.start_time, until=task.expires)


def from_periodic_task(task) -> Spec | None:
    """The spec of a PeriodicTask's crontab, interval or clocked schedule, with its limits; None for
    solar (or none).

    A crontab row carries its own time zone, which the spec does not: read it from `task.crontab.timezone`.
    """
    if task.crontab_id:
        row = task.crontab
        fields = (row.minute, row.hour, row.day_of_month, row.month_of_year, row.day_of_week)
        return CrontabSpec(*fields, limits=limits_of(task))
    if task.interval_id:
        return IntervalSpec(task.interval.every, task.interval.period, limits=limits_of(task))
    if task.clocked_id:
        return ClockedSpec(task.clocked.clocked_time.astimezone(UTC))
    return None


def _get_or_create(model, lookup: dict):
    try:
        row, _created = model.objects.get_or_create(**lookup)
    except MultipleObjectsReturned:
        # The admin can make duplicates (no unique constraint); any of them will do, the oldest is stable.
        row = model.objects.filter(**lookup).order_by("pk").first()
    return row
