"""A revoke that cannot stop a running task says so, and every page and the API follow the real outcome."""

import pytest

from tasks_app import status
from tasks_app.models import TaskRecord
from tasks_app.worker.revocation import revoked_since
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True)]


def test_revoking_a_running_task_without_terminate_keeps_following_its_real_outcome(client, celery_worker):
    accepted = client.post("/api/tasks/", {"task": "long_task", "args": [3]}, content_type="application/json").json()
    task_id = accepted["id"]
    wait_for(lambda: client.get(accepted["url"]).json()["state"] == "PROGRESS", timeout=20, message="progress")

    revoked = client.post(f"/api/tasks/{task_id}/revoke/", {"terminate": False}, content_type="application/json")
    assert revoked.status_code == 200
    body = revoked.json()
    assert (body["state"], body["previous_state"]) == ("PROGRESS", "PROGRESS")
    assert body["revocation"].startswith("Revocation requested: this run will finish")
    assert task_id in revoked_since(None)  # a redelivery (after a worker crash) would be dropped, never run

    # Meanwhile every view says the same: still running, a revocation requested, nothing finished.
    found = client.get(f"/api/tasks/{task_id}/").json()
    assert (found["state"], found["finished"]) == ("PROGRESS", False) and found["revoke_requested_at"]
    page = client.get(f"/tasks/{task_id}/").content.decode()
    assert "Revocation requested at" in page and "this run will finish" in page
    assert TaskRecord.objects.get(task_id=task_id).state != "REVOKED"

    wait_for(lambda: client.get(accepted["url"]).json()["state"] == "SUCCESS", timeout=20, message="the real outcome")
    assert status.get(task_id).result == {"seconds": 3, "steps": 12}
    listed = client.get("/api/tasks/", {"id": task_id}).json()["results"]
    assert [item["state"] for item in listed] == ["SUCCESS"]
    again = client.post(f"/api/tasks/{task_id}/revoke/", {}, content_type="application/json")
    assert again.status_code == 409


def test_a_queued_task_is_still_revoked_for_good(client, celery_app, transactional_db):
    accepted = client.post("/api/tasks/", {"task": "echo", "args": [1]}, content_type="application/json").json()
    body = client.post(f"/api/tasks/{accepted['id']}/revoke/", {}, content_type="application/json").json()
    assert (body["state"], body["previous_state"], body["revocation"]) == (
        "REVOKED",
        "QUEUED",
        "Revoked: it will not run.",
    )
