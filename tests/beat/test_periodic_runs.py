"""Schedules made through the form run on a real beat and a real worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tests.support.waiting import wait_for

# The filesystem broker (what make run uses) and Redis.
pytestmark = [pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True), pytest.mark.slow]


def succeeded_runs(periodic: PeriodicTask) -> list[str]:
    ids = TaskRecord.objects.filter(periodic_task_name=periodic.name).values_list("task_id", flat=True)
    return [task_id for task_id, state in status.states(ids).items() if state == "SUCCESS"]


def test_interval_and_one_off_schedules_run_and_disabling_stops_them(client, celery_worker, celery_beat):
    every_5s = services.schedule("echo", ["tick"], schedule_text="every 5 seconds", name="tick")
    soon = timezone.localtime() + timedelta(seconds=3)
    once = services.schedule("echo", ["once"], schedule_text=f"at {soon:%Y-%m-%d %H:%M:%S}", name="once")

    started = time.monotonic()
    wait_for(lambda: len(succeeded_runs(every_5s)) >= 2, timeout=20, message="two runs of the 5-second task")
    assert time.monotonic() - started <= 20

    # Each run is on the periodic task's page, linked to its own status page.
    page = client.get(f"/periodic/{every_5s.pk}/").content.decode()
    for task_id in succeeded_runs(every_5s):
        assert f"/tasks/{task_id}/" in page
        assert status.get(task_id).result == "tick"

    wait_for(lambda: succeeded_runs(once), timeout=10, message="the one-off run")
    services.set_enabled(every_5s, False)
    time.sleep(6)  # beat notices the change within its 5-second tick
    runs_when_disabled = len(TaskRecord.objects.filter(periodic_task_name="tick"))
    time.sleep(6)  # longer than the interval: a still-enabled task would have run again
    assert TaskRecord.objects.filter(periodic_task_name="tick").count() == runs_when_disabled
    # The one-off ran exactly once, and django-celery-beat disabled it after.
    assert TaskRecord.objects.filter(periodic_task_name="once").count() == 1
    once.refresh_from_db()
    assert once.enabled is False
