"""The tasks list's filters (`/tasks/` and `GET /api/tasks/` alike): a form that reads them from
the query string, and the queryset they narrow.

Each filter narrows a column that leads an index in the list's order (TaskRecord.Meta.indexes),
the state included: it is mirrored onto the record (TaskRecord.mirror_state, from tasks_app/signals.py and
managers.ResultWriter), because a join on
django-celery-results' table made a rare state walk the whole list.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms

from tasks_app import catalog, validation
from tasks_app.states import STATES
from tasks_app.validation import TaskInputError

FIELDS = ("task", "state", "queue", "periodic", "date_from", "date_to", "id")


class FilterText(forms.CharField):
    """One line of text, refused with the site's own message when it holds a control character
    (before Django's check for NUL, whose message names no field)."""

    def __init__(self, subject: str, **kwargs):
        super().__init__(required=False, **kwargs)
        self.subject = subject

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return validation.check_text(text, "", self.subject)
        except TaskInputError as exc:
            raise forms.ValidationError(exc.message) from None


class FilterDay(forms.DateField):
    """A whole day in the site's zone, such as 2026-01-31."""

    def __init__(self, subject: str):
        message = f"{subject} must be a date such as 2026-01-31."
        super().__init__(required=False, input_formats=["%Y-%m-%d"], error_messages={"invalid": message})
        self.subject = subject


class TaskFilterForm(forms.Form):
    """Bound to a query string; `cleaned_data` holds the queue's full name and each date as the
    aware start of its day (`date_to`: of the day after, exclusive)."""

    task = FilterText("The task name")
    state = FilterText("The state")
    queue = FilterText("The queue name")
    date_from = FilterDay("The first date")
    date_to = FilterDay("The last date")
    periodic = FilterText("The periodic task's name")
    id = FilterText("The task id")

    def __init__(self, data, tz):
        super().__init__(data)
        self.tz = tz

    def clean_task(self):
        task = self.cleaned_data["task"]
        if task:
            self._as_form_error(catalog.get, task)  # the same message as the task form's
        return task

    def clean_state(self):
        state = self.cleaned_data["state"]  # as written, as the API's document lists them (its enum)
        if state and state not in STATES:
            raise forms.ValidationError(
                f"Unknown state {validation.short_repr(state)}; choose one of: {', '.join(STATES)}."
            )
        return state

    def clean_queue(self):
        queue = self.cleaned_data["queue"]
        return self._as_form_error(catalog.queue_name, queue) if queue else ""

    def clean_date_from(self):
        return self._start_of(self.cleaned_data["date_from"], 0, "date_from")

    def clean_date_to(self):
        return self._start_of(self.cleaned_data["date_to"], 1, "date_to")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first >= last:
            self.add_error("date_from", "The first date comes after the last date.")
        return cleaned

    def _start_of(self, day, days_after: int, name: str) -> datetime | None:
        if day is None:
            return None
        try:
            start = datetime.combine(day + timedelta(days=days_after), time.min, tzinfo=self.tz)
            start.astimezone(UTC)  # what the database is sent: must exist in UTC too
        except OverflowError:
            subject = self.fields[name].subject
            message = f"{subject} is out of range; give a date from 0002-01-01 to 9998-12-31."
            raise forms.ValidationError(message) from None
        return start

    @staticmethod
    def _as_form_error(function, value):
        try:
            return function(value)
        except TaskInputError as exc:
            raise forms.ValidationError(exc.message) from None

    def first_error(self) -> TaskInputError:
        """The first bad filter (in the fields' order) as the site's input error, naming it."""
        name, errors = next(iter(self.errors.items()))
        return TaskInputError(errors[0], field=name)


def parse(params, tz) -> dict:
    """The filters from a query string, cleaned; TaskInputError names the first bad one."""
    form = TaskFilterForm(params, tz)
    if not form.is_valid():
        raise form.first_error()
    return form.cleaned_data


# Each filter's lookup on TaskRecord. `id` is a prefix, which the unique index on task_id serves
# (PostgreSQL: its varchar_pattern_ops twin); `state` is mirrored from the result rows (TaskRecord.mirror_state).
LOOKUPS = {
    "task": "task_name",
    "queue": "queue",
    "periodic": "periodic_task_name",
    "date_from": "created_at__gte",
    "date_to": "created_at__lt",
    "id": "task_id__startswith",
    "state": "state",
}


def apply(records, filters: dict):
    """The TaskRecord queryset narrowed by cleaned filters (ordering and paging are pagination's)."""
    return records.filter(**{LOOKUPS[name]: value for name, value in filters.items() if name in LOOKUPS and value})
