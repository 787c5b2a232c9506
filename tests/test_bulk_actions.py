"""Retry all failed and revoke all queued or running, on every broker: exactly the selected set."""

import pytest
from celery import states, uuid
from django.conf import settings

from tasks_app import services, status
from tasks_app.models import TaskRecord
from tests.conftest import embedded_worker, wait_for

pytestmark = pytest.mark.slow


def failed(celery_app, value):
    """A task the site sent that a worker reported FAILURE for (its result written as a worker writes
    it; not published, so that no worker here runs it and overwrites the failure)."""
    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=[value], kwargs={}, queue=settings.QUEUES["default"]
    )
    celery_app.backend.mark_as_failure(record.task_id, ValueError(f"boom {value}"))
    return record


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
