"""Django's Tasks framework (`@task`, `.enqueue()`, `get_result()`) on real workers, on every broker."""

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks_app.djtasks import compat
from tasks_app.models import TaskAttempts, TaskRecord
from tasks_app.selectors import status
from tests.support import djtasks
from tests.support.celery import embedded_worker
from tests.support.djtasks import finished
from tests.support.own_queues import app_with_own_queues
from tests.support.processes import ROOT
from tests.support.waiting import wait_for

Status = compat.TaskResultStatus


def result_in_another_process(result_id: str) -> dict:
    """get_result in a `manage.py shell` of its own, on this test's database."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    code = (
        "import json; from tests.support import djtasks; "
        f"r = djtasks.add.get_result({result_id!r}); "
        "print(json.dumps({'status': r.status, 'value': r.return_value, 'workers': r.worker_ids}))"
    )
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "helloworld.settings", "HELLOWORLD_LOCAL": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_enqueue_succeeds_and_another_process_reads_the_result(celery_worker, client):
    result = djtasks.add.enqueue(2, 3)
    assert result.status == Status.READY
    assert result.enqueued_at is not None
    # Recorded at once, like any task the site sends: its status page and the API know it.
    record = TaskRecord.objects.get(task_id=result.id)
    assert record.task_name == "tests.support.djtasks.add"
    assert record.args == [2, 3]
    assert client.get(f"/api/tasks/{result.id}/").json()["state"] in ("QUEUED", "STARTED", "SUCCESS")

    done = finished(djtasks.add, result.id)
    assert done.status == Status.SUCCESSFUL
    assert done.return_value == 5
    assert done.attempts == 1
    # The embedded test worker reports the machine name; a real one reports its full node name.
    [worker_id] = done.worker_ids
    assert worker_id and worker_id in celery_worker.hostname
    assert done.enqueued_at <= done.started_at <= done.finished_at
    assert done.last_attempted_at is not None
    assert done.errors == []
    assert result_in_another_process(result.id) == {"status": "SUCCESSFUL", "value": 5, "workers": done.worker_ids}
    # The site's own status page reads the same records.
    assert status.get(result.id).result == 5


def test_a_raising_task_ends_failed_with_its_error(celery_worker):
    result = djtasks.explode.enqueue("boom")
    done = finished(djtasks.explode, result.id)
    assert done.status == Status.FAILED
    [error] = done.errors
    assert error.exception_class is ValueError
    assert error.exception_class_path == "builtins.ValueError"
    assert "Traceback" in error.traceback and "boom" in error.traceback
    assert done.finished_at is not None
    with pytest.raises(ValueError, match="Task failed"):
        done.return_value  # noqa: B018


def test_run_after_holds_the_task_back(celery_worker):
    not_before = timezone.now() + timedelta(seconds=3)
    result = djtasks.started_at.using(run_after=not_before).enqueue()
    time.sleep(1.5)
    assert djtasks.started_at.get_result(result.id).status == Status.READY
    done = finished(djtasks.started_at, result.id, timeout=20)
    assert done.status == Status.SUCCESSFUL
    assert parse_datetime(done.return_value) >= not_before


def test_takes_context_sees_attempt_two_after_a_redelivery(celery_worker):
    result = djtasks.requeued_once.enqueue("x")
    done = finished(djtasks.requeued_once, result.id)
    assert done.status == Status.SUCCESSFUL, done.errors
    assert done.return_value["attempt"] == 2
    assert done.return_value["id"] == result.id
    assert done.return_value["value"] == "x"
    assert len(done.return_value["worker_ids"]) == 2
    assert done.attempts == 2


def test_an_async_task_runs(celery_worker):
    result = djtasks.async_add.enqueue(4, 5)
    assert finished(djtasks.async_add, result.id).return_value == 9


def test_a_task_on_another_queue_is_sent_there(celery_worker, settings):
    result = djtasks.on_high.enqueue()
    assert TaskRecord.objects.get(task_id=result.id).queue == settings.QUEUES["high"]
    assert finished(djtasks.on_high, result.id).return_value == "high"


@pytest.mark.urls("tests.support.djtasks_urls")
def test_aenqueue_and_aget_result_from_an_async_view(celery_worker, async_client):
    response = async_to_sync(async_client.post)("/django-tasks-demo/", {"a": 20, "b": 22})
    body = response.json()
    assert response.status_code == 202, body
    assert body["status"] == "READY"
    done = finished(djtasks.add, body["id"])
    assert done.return_value == 42
    body = async_to_sync(async_client.get)(f"/django-tasks-demo/{body['id']}/").json()
    assert body == {"id": done.id, "status": "SUCCESSFUL", "return_value": 42}


def test_retries_with_backoff_until_it_succeeds(celery_worker):
    result = djtasks.fails_twice.enqueue()
    done = finished(djtasks.fails_twice, result.id)
    assert done.status == Status.SUCCESSFUL
    assert done.return_value == 3
    assert done.attempts == 3
    assert [error.exception_class_path for error in done.errors] == ["builtins.RuntimeError"] * 2
    assert "attempt 2 fails" in done.errors[1].traceback
    # Backoff: 0.5 s, then 1 s, between the attempts.
    assert (done.finished_at - done.enqueued_at).total_seconds() >= 1.5


def test_retries_run_out_and_it_fails_with_every_error(celery_worker):
    result = djtasks.always_fails.enqueue()
    done = finished(djtasks.always_fails, result.id)
    assert done.status == Status.FAILED
    assert done.attempts == 2
    assert [error.exception_class_path for error in done.errors] == ["builtins.KeyError"] * 2


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


@pytest.mark.broker_bound
@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_priority_on_redis_runs_lower_priorities_later(own_app):
    """Lower priorities sent first, waiting with no worker; a worker that runs one at a time
    takes the default priority (0) first, then -20 (band 3), then -90 (band 9)."""
    sent = {}
    for priority in (-90, -20, 0):
        task = djtasks.add.using(priority=priority) if priority else djtasks.add
        sent |= {task.enqueue(priority, i).id: priority for i in range(3)}
    with embedded_worker(own_app, concurrency=1):
        wait_for(lambda: all(djtasks.add.get_result(i).is_finished for i in sent), message="every task to run")
    order = TaskAttempts.objects.filter(task_id__in=sent).order_by("last_attempted_at", "id")
    assert [sent[attempts.task_id] for attempts in order] == [0] * 3 + [-20] * 3 + [-90] * 3
