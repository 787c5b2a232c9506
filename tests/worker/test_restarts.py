"""A long task that starts while its result row says a run of it was under way (the run before was
cut off: its message came back, acks_late) says so: attempt 2, why, and "running again" on its page.
(The real stop and redelivery: tests/system/test_restart_shown.py.)"""

import json
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app import tasks
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.worker.restarts import next_attempt
from tests.support.waiting import wait_for


def cut_off_run(task_id: str, state: str = "PROGRESS", meta: dict | None = None) -> None:
    """What a worker stopped mid-task leaves: the record, and a result row still saying it runs."""
    TaskRecord.objects.create(task_id=task_id, task_name="long_task", args=[1], queue=settings.QUEUES["low"])
    TaskResult.objects.create(
        task_id=task_id,
        status=state,
        result=json.dumps({"percent": 40, "message": "Step 2 of 4"}),
        meta=json.dumps(meta or {"children": []}),
        content_type="application/json",
    )


@pytest.mark.parametrize("broker", ["filesystem", "redis", "rabbitmq"], indirect=True)
def test_a_long_task_delivered_again_after_a_cut_off_run_is_attempt_2_on_its_page(client, celery_worker):
    task_id = str(uuid.uuid4())
    cut_off_run(task_id)
    tasks.long_task.apply_async([1], task_id=task_id, queue=settings.QUEUES["low"])

    wait_for(lambda: status.get(task_id).state == "SUCCESS", timeout=30, message="the task to succeed")
    found = status.get(task_id)
    assert found.attempts["attempt"] == 2
    assert found.attempts["max_attempts"] is None
    [note] = found.attempts["errors"]
    assert note.startswith("Attempt 1 was interrupted: its worker stopped before it finished (last heard from at ")
    assert client.get(f"/api/tasks/{task_id}/").json()["attempts"]["attempt"] == 2

    # A first run of the same task says nothing of attempts: only a cut-off run makes one.
    fresh = str(uuid.uuid4())
    TaskRecord.objects.create(task_id=fresh, task_name="long_task", args=[1], queue=settings.QUEUES["low"])
    tasks.long_task.apply_async([1], task_id=fresh, queue=settings.QUEUES["low"])
    wait_for(lambda: status.get(fresh).state == "SUCCESS", timeout=30, message="the fresh task to succeed")
    assert status.get(fresh).attempts is None


def test_the_page_of_a_task_running_again_says_it_was_interrupted(client, db):
    task_id = str(uuid.uuid4())
    meta = next_attempt({"status": "PROGRESS", "meta": "{}", "date_done": timezone.now()})
    cut_off_run(task_id, meta=meta)  # as the second run reports it
    page = client.get(f"/tasks/{task_id}/").content.decode()
    assert '<dd data-field="attempt">2, running again</dd>' in page
    assert "Attempt 1 was interrupted: its worker stopped before it finished" in page


def test_each_cut_off_run_adds_an_attempt_and_a_finished_one_none():
    now = timezone.now()
    second = next_attempt({"status": "STARTED", "meta": None, "date_done": now})
    assert second["attempt"] == 2 and len(second["errors"]) == 1
    third = next_attempt({"status": "PROGRESS", "meta": json.dumps(second), "date_done": now})
    assert third["attempt"] == 3
    assert third["errors"][0] == second["errors"][0] and third["errors"][1].startswith("Attempt 2 was interrupted")
    for finished in ("SUCCESS", "FAILURE", "REVOKED", "RETRY"):
        assert next_attempt({"status": finished, "meta": None, "date_done": now}) is None
    assert next_attempt({"status": "PROGRESS", "meta": "not json", "date_done": None})["attempt"] == 2
