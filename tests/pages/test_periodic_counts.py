"""Every number about a periodic task agrees with the runs its page lists, run-now runs included."""

from datetime import timedelta

import pytest
from celery import uuid
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from helloworld.celery import app as project_app
from tasks_app import services
from tasks_app.beat.entry import ModelEntry
from tasks_app.models import TaskRecord

pytestmark = pytest.mark.django_db


def beat_run(task: PeriodicTask, minutes_ago: int = 0) -> None:
    """A run as beat records it (tasks_app.signals), sent `minutes_ago`."""
    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=[1], queue="q", periodic_task_name=task.name
    )
    TaskRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_counts_and_the_last_run_come_from_the_runs_listed_run_now_included(client, celery_app):
    task = services.schedule("echo", [1], schedule_text="every 5 minutes", name="five")
    for minutes in (10, 5):
        beat_run(task, minutes)
    services.run_now(task)
    body = client.get(f"/api/periodic/{task.pk}/").json()
    assert body["runs"] == {"count": 3, "more": False, "by_hand": 1}
    assert len(body["recent_runs"]) == 3
    page = client.get(f"/periodic/{task.pk}/").content.decode()
    assert "3 (1 by hand)" in page

    # Disabling keeps the last run on show (django-celery-beat blanks its own copy).
    services.set_enabled(task, False)
    after = client.get(f"/api/periodic/{task.pk}/").json()
    assert after["last_run_at"] == body["last_run_at"] is not None
    listed = client.get("/api/periodic/").json()["results"][0]
    assert (listed["runs"], listed["last_run_at"]) == (after["runs"], after["last_run_at"])


def test_a_one_off_that_ran_keeps_its_run_and_enabling_it_again_is_refused(client):
    soon = timezone.localtime() + timedelta(minutes=5)
    task = services.schedule("echo", [1], schedule_text=f"at {soon:%Y-%m-%d %H:%M}", name="once")
    # Beat sent it: its count is 1; its time then passes.
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=1, last_run_at=timezone.now())
    task.clocked.clocked_time = timezone.now() - timedelta(minutes=1)
    task.clocked.save()
    beat_run(task)
    entry = ModelEntry(PeriodicTask.objects.select_related("run_limit").get(pk=task.pk), app=project_app)
    assert entry.is_due().is_due is False
    task.refresh_from_db()
    assert (task.enabled, task.total_run_count) == (False, 1)  # kept: its page says it ran

    refused = client.patch(f"/api/periodic/{task.pk}/", {"enabled": True}, content_type="application/json")
    assert refused.status_code == 409
    assert "once stays disabled: it was a one-off for " in refused.json()["error"]
    assert "which has passed. Enabling it cannot give it new runs" in refused.json()["error"]
    page = client.post(f"/periodic/{task.pk}/enable/", follow=True).content.decode()
    assert "once stays disabled" in page and "give it a new schedule (Edit" in page
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False
