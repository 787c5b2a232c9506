"""Schedules that end, on a real beat (two of them at once) and a real worker, on every broker."""

import time
from datetime import timedelta

import pytest
from celery import beat
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.beat.scheduler import DatabaseScheduler
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.selectors.periodic import summarize
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


class SecondBeat(DatabaseScheduler):
    """Another beat process, as a second beat dyno would be: a node name of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.node += ":second"


@pytest.fixture
def second_beat(celery_app, celery_beat):
    service = beat.EmbeddedService(celery_app, thread=True, scheduler_cls=SecondBeat)
    service.start()
    yield service
    service.service.stop(wait=False)
    service.join(timeout=15)
    assert not service.is_alive(), "the second beat did not stop within 15 s"


def runs(name: str) -> list[TaskRecord]:
    return list(TaskRecord.objects.filter(periodic_task_name=name).order_by("created_at"))


def succeeded(name: str) -> int:
    states = status.states(record.task_id for record in runs(name))
    return sum(state == "SUCCESS" for state in states.values())


def test_n_times_sends_exactly_n_runs_with_two_beats_and_then_finishes(client, celery_worker, celery_beat, second_beat):
    task = services.schedule("echo", ["tick"], schedule_text="every 1 seconds, 3 times", name="three")
    wait_for(lambda: succeeded("three") >= 3, timeout=30, message="three runs")
    time.sleep(4)  # a fourth run, were one coming, would have been sent by now
    assert len(runs("three")) == 3
    task = PeriodicTask.objects.get(pk=task.pk)
    wait_for(lambda: not PeriodicTask.objects.get(pk=task.pk).enabled, timeout=10, message="beat to disable it")
    task.refresh_from_db()
    assert task.total_run_count == 3
    assert summarize(task).finished == "Finished after 3 of 3 runs."
    assert "Finished after 3 of 3 runs." in client.get(f"/periodic/{task.pk}/").content.decode()


def test_from_sends_nothing_before_it_and_until_stops_on_time(celery_worker, celery_beat):
    zone = timezone.get_current_timezone()
    start = (timezone.now() + timedelta(seconds=4)).astimezone(zone).replace(microsecond=0)
    until = start + timedelta(seconds=4)
    text = f"every 1 seconds from {start:%Y-%m-%d %H:%M:%S} until {until:%Y-%m-%d %H:%M:%S}"
    task = services.schedule("echo", ["window"], schedule_text=text, name="window")
    wait_for(lambda: not PeriodicTask.objects.get(pk=task.pk).enabled, timeout=30, message="beat to end the schedule")
    sent = [record.created_at for record in runs("window")]
    assert 2 <= len(sent) <= 5, sent
    assert min(sent) >= start, f"a run before 'from': {sent[0]} < {start}"
    assert max(sent) < until, f"a run at or after 'until': {sent[-1]} >= {until}"
    time.sleep(2)
    assert len(runs("window")) == len(sent)
    assert summarize(PeriodicTask.objects.get(pk=task.pk)).finished.startswith("Finished: its end, ")
