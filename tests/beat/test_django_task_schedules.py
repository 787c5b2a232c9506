"""django.tasks tasks on a schedule: django.tasks has none of its own, so they become PeriodicTask
rows (from the API, the form or the CLI, all through services.schedule) that the site's
database-driven beat sends to a real worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import reports, services
from tasks_app.djtasks import compat
from tasks_app.models import TaskRecord
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True), pytest.mark.slow]


def runs(name: str) -> list[str]:
    return list(
        TaskRecord.objects.filter(periodic_task_name=name).order_by("created_at").values_list("task_id", flat=True)
    )


def successful(name: str) -> list[compat.TaskResult]:
    results = [reports.word_count.get_result(task_id) for task_id in runs(name)]
    return [result for result in results if result.status == compat.TaskResultStatus.SUCCESSFUL]


def test_every_2_seconds_3_times_runs_exactly_three_times(client, celery_worker, celery_beat):
    body = {"task": "word_count", "args": ["a b c"], "schedule": "every 2 seconds, 3 times", "name": "words"}
    response = client.post("/api/periodic/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    periodic = PeriodicTask.objects.get(name="words")
    assert periodic.task == "tasks_app.reports.word_count"  # Celery's name for it: the Task's module path

    wait_for(lambda: len(successful("words")) >= 3, timeout=30, message="three runs")
    time.sleep(5)  # a fourth run, were one coming, would have been sent by now
    done = successful("words")
    assert len(runs("words")) == len(done) == 3
    assert all(result.return_value == {"words": 3, "lines": 1, "characters": 5} for result in done)
    wait_for(lambda: not PeriodicTask.objects.get(name="words").enabled, timeout=10, message="beat to disable it")


def test_from_and_until_bound_the_runs(celery_worker, celery_beat):
    zone = timezone.get_current_timezone()
    start = (timezone.now() + timedelta(seconds=4)).astimezone(zone).replace(microsecond=0)
    until = start + timedelta(seconds=4)
    text = f"every 1 seconds from {start:%Y-%m-%d %H:%M:%S} until {until:%Y-%m-%d %H:%M:%S}"
    periodic = services.schedule("word_count", ["window"], schedule_text=text, name="window")
    wait_for(lambda: not PeriodicTask.objects.get(pk=periodic.pk).enabled, timeout=30, message="the schedule to end")
    sent = list(TaskRecord.objects.filter(periodic_task_name="window").values_list("created_at", flat=True))
    assert 2 <= len(sent) <= 5, sent
    assert min(sent) >= start and max(sent) < until, sent
    wait_for(lambda: len(successful("window")) == len(sent), timeout=15, message="every run to succeed")
