"""A worker's report of a task is one upsert with the record's mirrored state (managers.ResultWriter),
and writes the same row django-celery-results would; STARTED only for a task still running after
TASK_STARTED_DELAY (worker.started)."""

import time
from datetime import timedelta

from celery import states
from celery.app.task import Context
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_results.models import TaskResult

from helloworld.celery import app as project_app
from tasks_app.models import TaskRecord
from tests.support.waiting import wait_for


def report(task_id: str, result, state: str):
    request = Context(
        id=task_id,
        task="tasks_app.tasks.echo",
        args=["hello"],
        kwargs={},
        argsrepr="['hello']",
        kwargsrepr="{}",
        hostname="worker.1@host",
        periodic_task_name="nightly",
    )
    with CaptureQueriesContext(connection) as queries:
        project_app.backend.store_result(task_id, result, state, request=request)
    return [query["sql"] for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_started_then_success_write_the_result_row_and_the_records_state(db, settings):
    settings.TASK_STARTED_DELAY = 0  # STARTED written at once
    record = TaskRecord.objects.create(task_id="t-1", task_name="echo", args=["hello"], queue="q")

    statements = report("t-1", {"pid": 7}, states.STARTED)
    started = TaskResult.objects.get(task_id="t-1")
    assert (started.status, started.task_name, started.worker) == (
        states.STARTED,
        "tasks_app.tasks.echo",
        "worker.1@host",
    )
    assert (started.task_args, started.periodic_task_name) == ("\"['hello']\"", "nightly")
    assert started.date_started is not None
    record.refresh_from_db()
    assert record.state == states.STARTED
    # PostgreSQL: one statement (the upsert feeding the UPDATE); elsewhere the two in one transaction.
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2), statements

    report("t-1", "hello", states.SUCCESS)
    done = TaskResult.objects.get(task_id="t-1")
    assert (done.status, done.result, done.pk) == (states.SUCCESS, '"hello"', started.pk)
    assert done.date_started == started.date_started  # kept from STARTED, as the library keeps it
    assert done.date_created == started.date_created
    assert done.date_done >= started.date_done
    record.refresh_from_db()
    assert record.state == states.SUCCESS
    assert project_app.AsyncResult("t-1").get(timeout=1) == "hello"


def test_a_task_the_site_has_no_record_of_still_gets_its_result(db):
    report("beat-run", "hello", states.SUCCESS)
    assert TaskResult.objects.get(task_id="beat-run").status == states.SUCCESS
    assert not TaskRecord.objects.exists()


def test_a_task_done_within_the_delay_never_writes_started_but_keeps_its_start_time(db, settings):
    settings.TASK_STARTED_DELAY = 0.3
    record = TaskRecord.objects.create(task_id="quick", task_name="echo", args=["hello"], queue="q")
    assert report("quick", {"pid": 7}, states.STARTED) == []  # held back: nothing written yet
    assert not TaskResult.objects.filter(task_id="quick").exists()
    before_done = timezone.now()
    report("quick", "hello", states.SUCCESS)
    done = TaskResult.objects.get(task_id="quick")
    assert done.status == states.SUCCESS
    assert done.date_started is not None and done.date_started <= before_done  # when it started, not ended
    time.sleep(0.6)  # past the delay: the STARTED it settled stays unwritten
    assert TaskResult.objects.get(task_id="quick").status == states.SUCCESS
    record.refresh_from_db()
    assert record.state == states.SUCCESS


def test_a_task_still_running_after_the_delay_shows_started(transactional_db, settings):
    settings.TASK_STARTED_DELAY = 0.2
    record = TaskRecord.objects.create(task_id="slow", task_name="echo", args=["hello"], queue="q")
    report("slow", {"pid": 7}, states.STARTED)
    wait_for(lambda: TaskResult.objects.filter(task_id="slow", status=states.STARTED).exists(), timeout=5)
    started = TaskResult.objects.get(task_id="slow")
    record.refresh_from_db()
    assert record.state == states.STARTED
    report("slow", "hello", states.SUCCESS)
    done = TaskResult.objects.get(task_id="slow")
    assert (done.status, done.date_started) == (states.SUCCESS, started.date_started)
    assert done.date_done - done.date_started >= timedelta(seconds=0.2)


def test_started_never_replaces_a_finished_state(db, settings):
    settings.TASK_STARTED_DELAY = 0
    record = TaskRecord.objects.create(task_id="ended", task_name="echo", args=["hello"], queue="q")
    report("ended", None, states.REVOKED)  # the worker's main process, terminating the task
    report("ended", {"pid": 7}, states.STARTED)  # a STARTED that arrives after it
    assert TaskResult.objects.get(task_id="ended").status == states.REVOKED
    record.refresh_from_db()
    assert record.state == states.REVOKED


def test_a_revoked_task_stays_as_its_first_revoke_left_it_whatever_arrives_later(db, settings):
    """A terminate marks REVOKED before the kill reaches the task: a PROGRESS reported in between, and
    the worker's own REVOKED after the kill (or after discarding a queued one), change nothing."""
    settings.TASK_STARTED_DELAY = 0
    TaskRecord.objects.create(task_id="t-r", task_name="long_task", args=[5], queue="q")
    report("t-r", {"pid": 7}, states.STARTED)
    project_app.backend.mark_as_revoked("t-r", reason="revoked on request")
    first = TaskResult.objects.get(task_id="t-r")
    for state, result in (("PROGRESS", {"percent": 50}), (states.STARTED, {"pid": 7}), (states.RETRY, None)):
        report("t-r", result, state)
    report("t-r", {"exc_type": "TaskRevokedError", "exc_message": ["terminated"]}, states.REVOKED)
    after = TaskResult.objects.get(task_id="t-r")
    assert (after.status, after.result, after.worker, after.date_done) == (
        states.REVOKED,
        first.result,
        first.worker,
        first.date_done,
    )
    assert "revoked on request" in after.result
    assert TaskRecord.objects.get(task_id="t-r").state == states.REVOKED
