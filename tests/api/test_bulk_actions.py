"""Retry all failed and revoke all queued or running, on every broker: exactly the selected set."""

from io import StringIO

import pytest
from celery import states, uuid
from django.conf import settings
from django.core.management.base import CommandError

from tasks_app import services
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.states import QUEUED
from tests.support.celery import embedded_worker, purge_queues
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def failed(celery_app, value):
    """A task the site sent that a worker reported FAILURE for (its result written as a worker writes
    it; not published, so that no worker here runs it and overwrites the failure)."""
    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=[value], kwargs={}, queue=settings.QUEUES["default"]
    )
    celery_app.backend.mark_as_failure(record.task_id, ValueError(f"boom {value}"))
    return record


def bare_post(client, path: str):
    """A POST with no body and no Content-Type, as `curl -X POST` sends it."""
    return client.generic("POST", path, b"", content_type="")


def test_retry_all_retries_exactly_the_failed_tasks_selected_once(celery_app, celery_worker):
    first, second, other = failed(celery_app, 1), failed(celery_app, 2), failed(celery_app, 3)
    fine = services.enqueue("echo", ["fine"])
    wait_for(lambda: status.states([fine.task_id])[fine.task_id] == states.SUCCESS, message="the fine task")
    selected = TaskRecord.objects.exclude(task_id=other.task_id)
    assert services.count_up_to(services.retryable(selected)) == (2, False)

    done = services.retry_failed(selected)
    assert (len(done.task_ids), done.skipped, done.more_left) == (2, 0, False)
    retried = {record.retry_of_id: record for record in TaskRecord.objects.filter(task_id__in=done.task_ids)}
    assert set(retried) == {first.task_id, second.task_id}
    assert [retried[first.task_id].args, retried[second.task_id].args] == [[1], [2]]
    wait_for(
        lambda: all(state == states.SUCCESS for state in status.states(done.task_ids).values()),
        message="the retries to succeed",
    )
    # Retried once: a second retry-all finds nothing left to retry in that set.
    assert services.retry_failed(selected).task_ids == []


def test_retry_all_stops_at_the_cap_and_says_more_remain(celery_app, celery_worker):
    for value in range(3):
        failed(celery_app, value)
    done = services.retry_failed(TaskRecord.objects.all(), limit=2)
    assert (len(done.task_ids), done.more_left) == (2, True)
    done = services.retry_failed(TaskRecord.objects.filter(retry_of__isnull=True), limit=2)
    assert (len(done.task_ids), done.more_left) == (1, False)


def test_revoke_all_leaves_none_of_them_run(celery_app, transactional_db):
    # Queued while no worker is up: revoked, then a worker starts and must run none of them.
    waiting = [services.enqueue("echo", [value]) for value in range(4)]
    kept = services.enqueue("echo", ["kept"])
    selected = TaskRecord.objects.exclude(task_id=kept.task_id)
    done = services.revoke_unfinished(selected)
    assert sorted(done.task_ids) == sorted(record.task_id for record in waiting)
    with embedded_worker(celery_app):
        wait_for(lambda: status.states([kept.task_id])[kept.task_id] == states.SUCCESS, message="the kept task")
    found = status.states(record.task_id for record in waiting)
    assert set(found.values()) == {states.REVOKED}
    for record in waiting:
        assert status.get(record.task_id).result is None
    assert services.revoke_unfinished(selected).task_ids == []


def test_the_api_page_and_cli_act_on_what_the_lists_filters_select(celery_app, celery_worker, client):
    from django.core.management import call_command

    longs = [failed(celery_app, 1) for _ in range(2)]
    TaskRecord.objects.filter(pk__in=[record.pk for record in longs]).update(task_name="long_task")
    echo = failed(celery_app, "echo")

    page = client.get("/tasks/retry/", {"task": "long_task"})
    assert page.status_code == 200
    assert "<dt>Tasks</dt><dd>2</dd>" in page.content.decode()
    assert "task=long_task" in page.content.decode()

    body = bare_post(client, "/api/tasks/retry/?task=echo").json()
    assert (body["retried"], body["skipped"], body["more_left"]) == (1, 0, False)
    assert TaskRecord.objects.get(task_id=body["tasks"][0]["id"]).retry_of_id == echo.task_id
    refused = bare_post(client, "/api/tasks/retry/?state=NOPE")
    assert refused.status_code == 400 and refused.json()["field"] == "state"

    out = StringIO()
    call_command("retry", "--all-failed", "--task", "long_task", stdout=out)
    assert out.getvalue().strip().endswith("Retried 2 failed tasks.")
    assert TaskRecord.objects.filter(retry_of__in=[record.task_id for record in longs]).count() == 2
    with pytest.raises(CommandError, match="Give a task id, or --all-failed"):
        call_command("retry")


def test_a_user_acts_only_on_their_own_tasks_in_production(
    celery_app, client, production, transactional_db, alice, bob
):
    mine = [services.enqueue("echo", [n], owner=alice) for n in range(2)]
    theirs = services.enqueue("echo", ["bob's"], owner=bob)
    client.force_login(alice)
    body = bare_post(client, "/api/tasks/revoke/").json()
    assert sorted(body["ids"]) == sorted(record.task_id for record in mine)
    assert status.states([theirs.task_id])[theirs.task_id] == QUEUED
    purge_queues(celery_app)  # leave no queued message for a later test's worker
