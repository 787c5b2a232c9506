"""services.finished_reason: one rule for when Enable cannot give a periodic task runs."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services

pytestmark = pytest.mark.django_db


def test_a_task_with_runs_to_come_is_not_finished_and_enables():
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="t")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=2, enabled=False)
    task = PeriodicTask.objects.get(pk=task.pk)
    assert services.finished_reason(task) is None
    services.set_enabled(task, True)
    assert PeriodicTask.objects.get(pk=task.pk).enabled is True


@pytest.mark.parametrize(
    ("schedule", "after", "reason"),
    [
        ("every 10 seconds, 3 times", {"total_run_count": 3}, "it has made 3 of its 3 runs"),
        ("every 1 minutes until {soon}", {"expires": "past"}, "its end, "),
        ("at {soon}", {"clocked": "past"}, "it was a one-off for "),
    ],
)
def test_each_kind_of_finished_task_stays_disabled_with_one_message(schedule, after, reason):
    soon = timezone.localtime() + timedelta(minutes=5)
    task = services.schedule("echo", ["x"], schedule_text=schedule.format(soon=f"{soon:%Y-%m-%d %H:%M}"), name="t")
    past = timezone.now() - timedelta(seconds=1)
    if after.get("clocked"):
        task.clocked.clocked_time = past
        task.clocked.save()
    PeriodicTask.objects.filter(pk=task.pk).update(
        enabled=False,
        total_run_count=after.get("total_run_count", 0),
        **({"expires": past} if "expires" in after else {}),
    )
    task = PeriodicTask.objects.get(pk=task.pk)
    assert services.finished_reason(task).startswith(reason)
    for enable in (lambda: services.set_enabled(task, True), lambda: services.change_periodic(task, {"enabled": True})):
        with pytest.raises(services.TaskStateConflict) as refused:
            enable()
        assert refused.value.message.startswith(f"t stays disabled: {reason}")
        assert "give it a new schedule (Edit; a new schedule starts the count again)" in refused.value.message
        assert PeriodicTask.objects.get(pk=task.pk).enabled is False


def test_a_new_schedule_with_enabled_starts_the_count_again():
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="t")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=3, enabled=False)
    task = PeriodicTask.objects.get(pk=task.pk)
    services.change_periodic(task, {"schedule": "every 10 seconds, 3 times", "enabled": True})
    task.refresh_from_db()
    assert (task.enabled, task.total_run_count) == (True, 0)
    assert services.finished_reason(task) is None


def test_the_edit_page_may_change_the_task_the_api_may_not():
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="t")
    assert "task" not in services.CHANGEABLE  # what PATCH takes, as the API document says
    services.change_periodic(task, {"task": "long_task", "args": [5]})
    assert PeriodicTask.objects.get(pk=task.pk).task == "tasks_app.tasks.long_task"
