"""A task's timeline, from a real worker: sent from where and by whom, started on which worker,
its progress, retries, a redelivery after a cut-off run, a revoke asked for while it ran, and its
end, each with its time, in order, on the page, in the API and in the CLI."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app import services, tasks
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tests.support.processes import free_port
from tests.support.waiting import wait_for

embedded = pytest.mark.parametrize("broker", ["filesystem"], indirect=True)


def events(task_id: str) -> list[str]:
    return [event.event for event in status.get(task_id).timeline]


def assert_in_time_order(timeline: list[dict]) -> None:
    times = [event["at"] for event in timeline if event["at"]]
    assert times == sorted(times)
    assert all(event["gap_ms"] >= 0 for event in timeline if event["gap_ms"] is not None)


@pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True)
def test_a_task_reporting_progress_shows_each_step_of_its_history(client, celery_worker):
    accepted = client.post("/api/tasks/", {"task": "long_task", "args": [2]}, content_type="application/json").json()
    task_id = accepted["id"]
    wait_for(lambda: "progress" in events(task_id), timeout=20, message="a progress report")
    running = client.get(accepted["url"]).json()["timeline"]
    assert [event["event"] for event in running] == ["sent", "started", "progress"]
    assert running[0]["detail"] == "from the API"
    assert running[1]["worker"] and running[1]["at"]
    assert running[2]["detail"].endswith(tuple(f"Step {step} of 8" for step in range(1, 9)))

    wait_for(lambda: status.get(task_id).finished, timeout=20, message="the task to finish")
    done = client.get(accepted["url"]).json()["timeline"]
    assert [event["event"] for event in done] == ["sent", "started", "finished"]
    assert done[2]["state"] == "SUCCESS" and done[2]["gap_ms"] >= 1500  # two seconds of work
    assert_in_time_order(done)

    page = client.get(f"/tasks/{task_id}/").content.decode()
    assert '<ol class="timeline" data-field="timeline"' in page
    assert page.count("<time datetime=") == 3 and "Finished" in page
    out = io.StringIO()
    call_command("task_status", task_id, "--timeline", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"long_task {task_id}: SUCCESS"
    assert "Sent - from the API" in lines[1] and "Started on " in lines[2] and "Finished SUCCESS" in lines[3]


@embedded
def test_a_retried_task_shows_each_attempt_at_its_start_and_why_the_one_before_ended(
    client, celery_worker, settings, monkeypatch
):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.FETCH_URL_MAX_RETRIES = 1
    monkeypatch.setattr(tasks, "get_exponential_backoff_interval", lambda **kw: 1)
    task_id = services.enqueue("fetch_url", [f"http://127.0.0.1:{free_port()}/"], sent_from="cli").task_id

    wait_for(lambda: status.get(task_id).finished, timeout=30, message="fetch_url to give up")
    timeline = [event.as_json() for event in status.get(task_id).timeline]
    assert [event["event"] for event in timeline] == ["sent", "started", "retried", "finished"]
    assert timeline[0]["detail"] == "from the command line"
    retried = timeline[2]
    assert retried["attempt"] == 2 and retried["at"] and retried["worker"]
    assert retried["detail"].startswith("attempt 1 ended: ") and "ConnectionRefusedError" in retried["detail"]
    assert retried["gap_ms"] >= 900  # the one-second wait between the attempts
    assert timeline[3]["state"] == "FAILURE"
    assert_in_time_order(timeline)


@embedded
def test_a_revoke_asked_for_while_it_ran_shows_between_its_start_and_its_end(client, celery_worker):
    accepted = client.post("/api/tasks/", {"task": "long_task", "args": [2]}, content_type="application/json").json()
    task_id = accepted["id"]
    wait_for(lambda: status.get(task_id).state == "PROGRESS", timeout=20, message="progress")
    client.post(f"/api/tasks/{task_id}/revoke/", {}, content_type="application/json")
    wait_for(lambda: status.get(task_id).finished, timeout=20, message="the run to finish")
    assert events(task_id) == ["sent", "started", "revoke_requested", "finished"]


@embedded
def test_a_task_revoked_while_queued_ends_without_starting(client, celery_app, transactional_db):
    task_id = client.post("/", {"task": "echo", "args": "[1]", "kwargs": "{}", "queue": "default"}).url.split("/")[-2]
    assert TaskRecord.objects.get(task_id=task_id).sent_from == "form"
    services.revoke(task_id)
    timeline = status.get(task_id).timeline
    assert [event.event for event in timeline] == ["sent", "finished"]
    assert timeline[0].detail.startswith("from the form") and timeline[1].state == "REVOKED"


@embedded
def test_a_long_task_delivered_again_after_a_cut_off_run_shows_as_redelivered(client, celery_worker):
    task_id = str(uuid.uuid4())
    first_start = timezone.now() - timedelta(seconds=30)
    TaskRecord.objects.create(task_id=task_id, task_name="long_task", args=[1], queue=settings.QUEUES["low"])
    TaskRecord.objects.filter(task_id=task_id).update(created_at=first_start - timedelta(seconds=1))
    TaskResult.objects.create(
        task_id=task_id,
        status="PROGRESS",
        result=json.dumps({"percent": 40, "message": "Step 2 of 4"}),
        meta=json.dumps({"children": []}),
        content_type="application/json",
        date_started=first_start,
    )
    tasks.long_task.apply_async([1], task_id=task_id, queue=settings.QUEUES["low"])

    wait_for(lambda: status.get(task_id).finished, timeout=30, message="the task to succeed")
    timeline = status.get(task_id).timeline
    assert [event.event for event in timeline] == ["sent", "started", "redelivered", "finished"]
    assert timeline[1].at == first_start and timeline[1].worker == ""  # the run cut off: its worker not kept
    redelivered = timeline[2]
    assert redelivered.attempt == 2 and redelivered.worker and redelivered.gap_seconds >= 29
    assert redelivered.detail.startswith("attempt 1 ended: Attempt 1 was interrupted: its worker stopped")


@embedded
def test_each_way_in_is_named_beat_the_cli_and_another_service_included(celery_worker):
    # Beat publishes its runs itself, with the periodic task's name in a header (signals.record_periodic_run).
    from_beat = str(uuid.uuid4())
    tasks.echo.apply_async(
        ["b"], task_id=from_beat, queue=settings.QUEUES["default"], headers={"periodic_task_name": "nightly"}
    )
    out = io.StringIO()
    call_command("enqueue", "echo", "--args", '["c"]', stdout=out)
    from_cli = out.getvalue().strip()
    # Another service, with plain Celery: the worker records it (worker.outside).
    from_outside = tasks.echo.app.send_task("tasks_app.tasks.echo", ["o"], queue=settings.QUEUES["default"]).id

    for task_id in (from_beat, from_cli, from_outside):
        wait_for(lambda t=task_id: status.get(t) and status.get(t).finished, timeout=20, message="the three to run")
    assert status.get(from_beat).timeline[0].detail == 'by beat as a run of periodic task "nightly"'
    assert status.get(from_cli).timeline[0].detail == "from the command line"
    assert status.get(from_outside).timeline[0].detail == "from another service"
