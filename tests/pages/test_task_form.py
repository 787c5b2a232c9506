"""The TaskForm validates everything before anything is sent or saved."""

from datetime import UTC, datetime

import pytest
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

from tasks_app.forms import TaskForm
from tasks_app.models import TaskRecord

pytestmark = pytest.mark.django_db

NEXT_YEAR = datetime.now(UTC).year + 1


def form(**data):
    return TaskForm(data={"task": "echo", "args": '["hi"]', "kwargs": "", "queue": "default", **data})


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"args": "", "kwargs": '{"value": 1}'},
        {"task": "long_task", "args": "[3]"},
        {"task": "long_task", "args": "", "kwargs": ""},  # its default of 10 seconds
        {"task": "fetch_url", "args": '["https://example.com/"]', "queue": "high"},
        {"schedule": "*/15 * * * *"},
        {"schedule": "every 30 seconds", "name": "my echo"},
        {"schedule": "@daily"},
        {"schedule": f"at {NEXT_YEAR}-12-01 09:30"},
    ],
)
def test_valid_input(data):
    bound = form(**data)
    assert bound.is_valid(), bound.errors


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"task": "nope"}, "task", "Select a valid choice. nope is not one of the available choices."),
        ({"args": "[1,"}, "args", "This is not valid JSON ("),
        ({"args": '{"a": 1}'}, "args", 'This must be a JSON list, such as ["hello"] or [] for none, not dict.'),
        ({"kwargs": "[]"}, "kwargs", "This must be a JSON object"),
        ({"args": "[]"}, "args", "These arguments do not fit echo(value): missing a required argument: 'value'."),
        ({"args": "[1, 2]"}, "args", "too many positional arguments"),
        ({"args": "", "kwargs": '{"valeu": 1}'}, "kwargs", "Unknown keyword argument 'valeu'"),
        ({"task": "long_task", "args": '["ten"]'}, "args", "Argument 'seconds' must be a whole number, not str 'ten'."),
        ({"task": "long_task", "args": "[1.5]"}, "args", "Argument 'seconds' must be a whole number"),
        ({"task": "long_task", "args": "[0]"}, "args", "Argument 'seconds' must be from 1 to 600, not 0."),
        ({"task": "fetch_url", "args": '["file:///etc/passwd"]'}, "args", "Only http and https URLs can be fetched"),
        ({"queue": "urgent"}, "queue", "Select a valid choice. urgent is not one of the available choices."),
        ({"schedule": "61 * * * *"}, "schedule", "minute"),
        ({"schedule": "every 0 minutes"}, "schedule", "every"),
        ({"schedule": "at 2020-01-01 00:00"}, "schedule", "passed"),
        ({"args": "[" * 10 + "]" * 10 + "x" * 10_000}, "args", "Ensure this value has at most 10000 characters"),
    ],
)
def test_invalid_input_names_the_problem_and_writes_nothing(data, field, message):
    bound = form(**data)
    assert not bound.is_valid()
    errors = " ".join(bound.errors.get(field, []))
    assert message in errors, bound.errors
    assert not TaskRecord.objects.exists()
    assert not PeriodicTask.objects.exists()
    for schedule_model in (CrontabSchedule, IntervalSchedule, ClockedSchedule):
        assert not schedule_model.objects.exists()


def test_each_task_is_offered_with_the_first_line_of_its_docstring():
    labels = dict(TaskForm().fields["task"].choices)
    assert labels == {
        "echo": "echo — Return the value it was given, unchanged.",
        "fetch_url": "fetch_url — Download a URL and report its status, final URL, content type and size.",
        "long_task": "long_task — Work for a number of seconds, reporting progress as it goes.",
        # django.tasks @task functions (tasks_app/reports.py), offered alike.
        "sales_report": "sales_report — Summarize the sales of the last few days (half a second a day) "
        "and return the report as JSON.",
        "word_count": "word_count — Count the words and lines of a text.",
    }
