"""The TaskForm: validates everything (task, JSON arguments, queue, schedule) and writes nothing.
The login forms: Django's, throttled (tasks_app.login_throttle)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from tasks_app import catalog, login_throttle, services, validation
from tasks_app.validation import TaskInputError

MAX_JSON_CHARS = 10_000


def _task_choices():
    return [(entry.name, f"{entry.name} — {entry.description}") for entry in catalog.ENTRIES.values()]


def _queue_choices():
    return [(short, f"{short} ({full})") for short, full in settings.QUEUES.items()]


class TaskForm(forms.Form):
    task = forms.ChoiceField(choices=_task_choices)
    args = forms.CharField(
        required=False,
        max_length=MAX_JSON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text='A JSON list, such as ["hello"].',
    )
    kwargs = forms.CharField(
        required=False,
        max_length=MAX_JSON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    queue = forms.ChoiceField(choices=_queue_choices, initial="default")
    schedule = forms.CharField(
        required=False,
        max_length=validation.MAX_TEXT_CHARS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        required=False,
        max_length=validation.MAX_TEXT_CHARS,
        label="Name (scheduled tasks)",
        help_text="Optional; the task's name and a short unique suffix otherwise.",
    )

    def __init__(self, *args, may_schedule: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_schedule = may_schedule
        tomorrow = timezone.localdate() + timedelta(days=1)  # an example time that is still ahead
        self.fields["schedule"].help_text = (
            f"Empty to run now; or a crontab line (*/15 * * * *, @daily), an interval (every 5 minutes), "
            f"or a time (at {tomorrow:%Y-%m-%d} 09:30). A repeating one may end: every 10 seconds, 5 times; "
            f"every day from {tomorrow:%Y-%m-%d} 09:00 until {tomorrow + timedelta(days=14):%Y-%m-%d} 09:00."
        )
        if not may_schedule:
            self.fields["schedule"].help_text = "Only staff may schedule tasks; leave this empty to run it now."
        first = next(iter(catalog.ENTRIES.values()))
        self.fields["args"].initial = json.dumps(first.example_args, ensure_ascii=False)
        self.fields["kwargs"].initial = json.dumps(first.example_kwargs, ensure_ascii=False)
        self.fields["kwargs"].help_text = kwargs_help(self._chosen_entry() or first)

    def _chosen_entry(self) -> catalog.Entry | None:
        """The task the form shows: the one submitted, else the one it was filled in with."""
        name = self.data.get("task") if self.is_bound else self.initial.get("task")
        return catalog.ENTRIES.get(name) if isinstance(name, str) else None

    def _json_field(self, name: str, kind: type, example: str):
        text = self.cleaned_data[name].strip()
        if not text:
            return kind()
        try:
            value = validation.parse_json(text, field=name)
        except TaskInputError as exc:
            raise forms.ValidationError(f"{exc.message} Write {example}.") from None
        if not isinstance(value, kind):
            raise forms.ValidationError(f"This must be {example}, not {type(value).__name__}.")
        return value

    def _text_field(self, name: str, subject: str) -> str:
        try:
            return validation.check_text(self.cleaned_data[name], name, subject)
        except TaskInputError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_schedule(self):
        text = self._text_field("schedule", "The schedule")
        if text.strip() and not self.may_schedule:
            raise forms.ValidationError("Only staff may schedule tasks; leave the schedule empty to run it now.")
        return text

    def clean_name(self):
        return self._text_field("name", "The name")

    def clean_args(self):
        return self._json_field("args", list, 'a JSON list, such as ["hello"] or [] for none')

    def clean_kwargs(self):
        example = json.dumps((self._chosen_entry() or next(iter(catalog.ENTRIES.values()))).keyword_example)
        return self._json_field("kwargs", dict, f"a JSON object, such as {example} or {{}} for none")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            catalog.get(cleaned["task"]).bind(cleaned["args"], cleaned["kwargs"])
            # An edit that keeps the schedule as it is leaves it alone (a spent one-off's time
            # would not parse again); a new form has no schedule to keep.
            if cleaned["schedule"].strip() and "schedule" in self.changed_data:
                cleaned["schedule_spec"] = services.parse_schedule(cleaned["schedule"])
        except TaskInputError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned

    @property
    def is_scheduled(self) -> bool:
        return bool(self.cleaned_data.get("schedule", "").strip())


def kwargs_help(entry: catalog.Entry) -> str:
    """The kwargs help for `entry`, with its own example (the task form's script swaps it on a change)."""
    return f"A JSON object, such as {json.dumps(entry.keyword_example, ensure_ascii=False)}, or {{}} for none."


def task_examples() -> dict:
    """What the task form's script fills in when a task is chosen: its examples, queue and kwargs help."""
    examples = catalog.examples()
    for name, example in examples.items():
        example["kwargs_help"] = kwargs_help(catalog.ENTRIES[name])
    return examples


def _queue_short_name(queue: str | None) -> str:
    """The form's name for a queue, from either spelling (`default` or the broker's `helloworld.default`)."""
    for short, full in settings.QUEUES.items():
        if queue in (short, full):
            return short
    return ""


PREFILLED = ("task", "args", "kwargs", "queue", "schedule", "name")


def run_form_url(base: str, task: str, args, kwargs, queue: str | None, **more) -> str:
    """The Run form's address, filled in with a task, its arguments and queue (and for a clone, its
    schedule and name): "Run again with changes…" and "Clone" open it. GET only fills the form in;
    nothing is sent until the person submits it."""
    entry = catalog.ENTRIES.get(task) or catalog.by_task_name(task)
    query = {
        "task": entry.name if entry else task,
        "args": json.dumps(args, ensure_ascii=False),
        "kwargs": json.dumps(kwargs, ensure_ascii=False),
        "queue": _queue_short_name(queue),
        **more,
    }
    return f"{base}?{urlencode({key: value for key, value in query.items() if value})}"


def run_form_initial(query) -> dict:
    """The Run form's initial values from run_form_url's query: text only, validated on submit."""
    return {name: query[name] for name in PREFILLED if isinstance(query.get(name), str) and query[name]}


class PeriodicForm(TaskForm):
    """The Edit page's form: the task form's fields and checks, filled in from a periodic task, with
    its enabled flag. A schedule left as it was is not parsed or saved again, so its count goes on."""

    enabled = forms.BooleanField(required=False)

    def __init__(self, *args, periodic, schedule_text: str, finished: str | None = None, **kwargs):
        entry = catalog.by_task_name(periodic.task)
        initial = {
            "task": entry.name if entry else periodic.task,
            "args": _stored_text(periodic.args, "[]"),
            "kwargs": _stored_text(periodic.kwargs, "{}"),
            "queue": _queue_short_name(periodic.queue) or (entry.queue if entry else "default"),
            "schedule": schedule_text,
            "name": periodic.name,
            "enabled": periodic.enabled,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["schedule"].required = True
        self.fields["name"].required = True
        self.fields["name"].label = "Name"
        self.fields["name"].help_text = "Its runs are kept under the new name."
        self.fields["schedule"].help_text += (
            f" Changing it starts the count of runs again (so far {periodic.total_run_count} under this schedule);"
            " the runs it made stay listed."
        )
        self.fields["enabled"].help_text = (
            f"It has finished ({finished}): give it a new schedule to enable it." if finished else ""
        )

    def changes(self) -> dict:
        """What services.change_periodic should change: every field, the schedule only if it changed."""
        data = self.cleaned_data
        changes = {name: data[name] for name in ("task", "args", "kwargs", "queue", "name", "enabled")}
        if "schedule" in self.changed_data:
            changes["schedule"] = data["schedule"]
        return changes


def _stored_text(text: str | None, empty: str) -> str:
    # django-celery-beat stores args and kwargs as JSON text: show them as they are.
    return text or empty


class ThrottledLogin:
    """Refuse a login past the failure limits, before the password is checked, or past the address's
    cap alone, unless it is right (the failures themselves are counted by tasks_app.login_throttle's
    `user_login_failed` receiver)."""

    def clean(self):
        throttled = login_throttle.throttled(self.request, self.cleaned_data.get("username") or "")
        if throttled and not throttled.only_a_correct_password:
            raise forms.ValidationError(throttled.message, code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            if throttled:
                raise forms.ValidationError(throttled.message, code="throttled") from None
            raise


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass
