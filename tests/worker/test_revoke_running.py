"""A revoke that cannot stop a running task says so, and every page and the API follow the real outcome."""

import io

import pytest
from django.core.management import call_command

from tasks_app.models import TaskRecord
from tasks_app.selectors import status
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


def test_after_a_requested_revocation_the_page_offers_terminate_now_and_the_cli_names_the_command(
    client, celery_worker
):
    accepted = client.post("/api/tasks/", {"task": "long_task", "args": [4]}, content_type="application/json").json()
    task_id = accepted["id"]
    wait_for(lambda: client.get(accepted["url"]).json()["state"] == "PROGRESS", timeout=20, message="progress")
    out = io.StringIO()
    call_command("revoke", task_id, stdout=out)  # without --terminate: this run goes on
    assert out.getvalue().splitlines()[-1] == f"To stop it now: manage.py revoke {task_id} --terminate"

    page = client.get(f"/tasks/{task_id}/").content.decode()
    assert f'data-field="terminate-link" href="/tasks/{task_id}/revoke/">Terminate now…</a>' in page  # not hidden
    assert f'data-field="revoke-link" href="/tasks/{task_id}/revoke/" hidden>' in page
    confirm = client.get(f"/tasks/{task_id}/revoke/").content.decode()
    assert "<h1>Terminate long_task?</h1>" in confirm
    assert '<input type="hidden" name="terminate" value="on">' in confirm
    assert ">Terminate now</button>" in confirm

    response = client.post(f"/tasks/{task_id}/revoke/", {"terminate": "on"})
    assert response.status_code == 302
    assert status.get(task_id).state == "REVOKED"
    after = client.get(response["Location"]).content.decode()
    assert "Revoked and terminated." in after
    assert f'data-field="terminate-link" href="/tasks/{task_id}/revoke/" hidden>' in after


def test_a_requested_revocation_tells_api_clients_how_to_stop_it_now(client, celery_worker):
    accepted = client.post("/api/tasks/", {"task": "long_task", "args": [3]}, content_type="application/json").json()
    task_id = accepted["id"]
    wait_for(lambda: client.get(accepted["url"]).json()["state"] == "PROGRESS", timeout=20, message="progress")
    body = client.post(f"/api/tasks/{task_id}/revoke/", {}, content_type="application/json").json()
    assert body["revocation"].endswith("To stop it now, revoke it again with terminate.")
    again = client.post(f"/api/tasks/{task_id}/revoke/", {"terminate": True}, content_type="application/json")
    assert again.status_code == 200
    assert (again.json()["state"], again.json()["revocation"]) == ("REVOKED", "Revoked and terminated.")
