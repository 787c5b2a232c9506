"""The failures endpoints answer as the OpenAPI document says (tests/api/conftest.py checks each answer):
the groups, a dismissal, a retry of failures the site cannot retry, and the refusals. Failures here are
result rows as a worker writes them; tests/worker/test_failures.py makes them on a real worker."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app.models import TaskRecord
from tasks_app.selectors import failures

pytestmark = pytest.mark.django_db


def fail(task_id: str, message: str, days_ago: float = 0):
    error = {"exc_type": "ValueError", "exc_module": "builtins", "exc_message": [message]}
    TaskResult.objects.create(
        task_id=task_id,
        task_name="tasks_app.tasks.echo",
        status="FAILURE",
        result=json.dumps(error),
        content_type="application/json",
        traceback=f"Traceback (most recent call last):\nValueError: {message}",
    )
    # date_done is auto_now: set it afterwards, as time passing would.
    TaskResult.objects.filter(task_id=task_id).update(date_done=timezone.now() - timedelta(days=days_ago))


def post(client, path):
    return client.post(path, {}, content_type="application/json")


def test_the_groups_a_dismissal_and_a_retry_answer_as_documented(client):
    fail("a", "bad value 1")
    fail("b", "bad value 22")
    fail("c", "other")
    fail("old", "bad value 3", days_ago=8)  # outside the window
    groups = client.get("/api/failures/").json()["groups"]
    assert [(group["message"], group["count"]) for group in groups] == [("other", 1), ("bad value <n>", 2)]
    bad = groups[1]
    assert bad["latest_task"] == "b" and bad["latest_error"] == "bad value 22" and "ValueError" in bad["traceback"]

    dismissed = post(client, f"/api/failures/{bad['id']}/dismiss/").json()
    assert dismissed["dismissed"] is True and dismissed["dismissed_at"] and dismissed["dismissed_by"] is None
    answer = client.get("/api/failures/").json()
    assert [group["message"] for group in answer["groups"]] == ["other"] and answer["hidden"] == 1
    assert len(client.get("/api/failures/?dismissed=true").json()["groups"]) == 2

    retried = post(client, f"/api/failures/{bad['id']}/retry/")  # result rows only: nothing to resend
    assert retried.status_code == 202 and retried.json()["retried"] == 0


def test_refusals(client, production, alice):
    from tests.support.users import logged_in

    fail("x", "boom")
    assert client.get("/api/failures/").status_code == 401
    as_alice = logged_in(alice)
    assert as_alice.get("/api/failures/").json()["groups"] == []  # not her task
    assert as_alice.get("/api/failures/?dismissed=maybe").json()["field"] == "dismissed"
    missing = as_alice.post("/api/failures/0000000000000000/retry/", {}, content_type="application/json")
    assert missing.status_code == 404 and "No failure group" in missing.json()["error"]
    forbidden = as_alice.post("/api/failures/0000000000000000/dismiss/", {}, content_type="application/json")
    assert forbidden.status_code == 403


def test_the_read_is_bounded_and_says_so(client, monkeypatch):
    monkeypatch.setattr(failures, "SCAN_MAX", 2)
    for number in (1, 2, 3):
        fail(f"t{number}", f"bad value {number}")
    answer = client.get("/api/failures/").json()
    assert answer["capped"] is True and answer["scanned"] == 2 and answer["groups"][0]["count"] == 2
    assert "Only the latest 2 failures" in client.get("/failures/").content.decode()


@pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 1, "schedule": 0})
def test_a_group_retry_counts_against_the_rate_limit_like_retry_all(client, production, one_window, alice):
    for task_id in ("r1", "r2"):
        TaskRecord.objects.create(task_id=task_id, task_name="echo", args=[task_id], queue="q", owner=alice)
        TaskRecord.mirror_state(task_id, "FAILURE")
        fail(task_id, "boom")
    client.force_login(alice)
    group = client.get("/api/failures/").json()["groups"][0]
    assert group["count"] == 2
    response = post(client, f"/api/failures/{group['id']}/retry/")
    assert response.status_code == 429 and response["Retry-After"]
    assert not TaskRecord.objects.filter(retry_of__isnull=False).exists()  # nothing was sent
