"""`manage.py send_due_tasks`: one pass of beat for a scheduler add-on, on a real broker and worker."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.beat import lease
from tasks_app.models import TaskRecord

# The embedded broker (what make run uses) and Redis (what a platform add-on gives).
on_brokers = pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True)


def send_due_tasks() -> str:
    out = StringIO()
    call_command("send_due_tasks", stdout=out)
    return out.getvalue()


def overdue(name: str, text: str = "every 1 minutes", missed: int = 3) -> PeriodicTask:
    """A periodic task whose last run was `missed` intervals ago, as after an add-on's quiet hours."""
    task = services.schedule("echo", [name], schedule_text=text, name=name)
    last = timezone.now() - timedelta(minutes=missed)
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=last, total_run_count=1)
    return task


def sent_runs(name: str) -> int:
    return TaskRecord.objects.filter(periodic_task_name=name).count()


@on_brokers
def test_a_row_due_three_times_over_is_sent_once_and_a_second_pass_sends_nothing(celery_app, transactional_db):
    overdue("late")
    services.schedule("echo", ["later"], schedule_text="every 1 hours", name="not yet")
    first = send_due_tasks()  # enabled: these two and Celery's daily result cleanup, which beat installs
    assert sent_runs("late") == 1
    assert sent_runs("not yet") == 0
    assert "Sent late (tasks_app.tasks.echo) as task " in first
    assert first.strip().endswith("Sent 1 due periodic task of 3 enabled.")
    task = PeriodicTask.objects.get(name="late")
    assert task.total_run_count == 2
    assert timezone.now() - task.last_run_at < timedelta(seconds=30)

    second = send_due_tasks()
    assert second.strip() == "Sent 0 due periodic tasks of 3 enabled."
    assert sent_runs("late") == 1


@on_brokers
def test_a_pass_beside_a_running_beat_sends_no_duplicate(celery_app, transactional_db):
    overdue("beside beat")
    assert lease.acquire("beat.1@host:42")  # a running beat leads
    out = send_due_tasks()
    assert out.strip() == "beat.1@host:42 holds beat's lease and sends the due tasks; this pass sent nothing."
    assert sent_runs("beside beat") == 0
    lease.release("beat.1@host:42")
    send_due_tasks()
    assert sent_runs("beside beat") == 1


@on_brokers
def test_a_schedule_that_has_ended_is_finished_by_the_pass_as_beat_would(celery_app, transactional_db):
    task = overdue("twice", text="every 1 minutes, 2 times")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=2)
    assert send_due_tasks().strip() == "Sent 0 due periodic tasks of 2 enabled."
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


def test_the_form_and_api_warn_when_a_schedule_is_finer_than_the_add_on(client, settings, transactional_db):
    settings.SCHEDULER_ADDON_INTERVAL = 600
    body = client.post(
        "/api/periodic/", {"task": "echo", "args": [1], "schedule": "every 1 minutes"}, content_type="application/json"
    ).json()
    assert "every 60 s at its finest" in body["warnings"][0]
    hourly = client.post(
        "/api/periodic/", {"task": "echo", "args": [1], "schedule": "@hourly"}, content_type="application/json"
    ).json()
    assert hourly["warnings"] == []
    page = client.post(
        "/", {"task": "echo", "args": "[1]", "kwargs": "{}", "queue": "default", "schedule": "*/5 * * * *"}, follow=True
    )
    assert "SCHEDULER_ADDON_INTERVAL" in page.content.decode()
    assert "No beat is running" not in page.content.decode()
