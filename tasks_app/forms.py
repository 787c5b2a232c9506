"""The TaskForm: validates everything (task, JSON arguments, queue, schedule) and writes nothing.
The login forms: Django's, throttled (tasks_app.login_throttle)."""

from __future__ import annotations

import json
from datetime import timedelta

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
        help_text='A JSON object, such as {"seconds": 5}.',
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
        return self._json_field("kwargs", dict, 'a JSON object, such as {"seconds": 5} or {} for none')

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            catalog.get(cleaned["task"]).bind(cleaned["args"], cleaned["kwargs"])
            if cleaned["schedule"].strip():
                cleaned["schedule_spec"] = services.parse_schedule(cleaned["schedule"])
        except TaskInputError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned

    @property
    def is_scheduled(self) -> bool:
        return bool(self.cleaned_data.get("schedule", "").strip())


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
