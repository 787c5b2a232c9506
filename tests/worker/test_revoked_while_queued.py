"""A task revoked while it waits in the queue keeps the record of that revoke.

The worker that later takes its message discards it (worker.revocation) and, as Celery does,
writes REVOKED again: with its own name, its own time and its own reason. The first revoke's
record stands (no worker, "revoked on request", its finished time); the discard adds nothing.
On every broker, with a real worker that starts after the revoke.
"""

import pytest
from celery.signals import task_revoked

from tasks_app.selectors import status
from tasks_app.states import QUEUED
from tests.support.celery import embedded_worker, purge_queues
from tests.support.waiting import wait_for


@pytest.mark.parametrize("broker", ["filesystem", "redis", "rabbitmq"], indirect=True)
def test_the_first_revoke_of_a_queued_task_stands_after_the_worker_discards_it(client, celery_app, transactional_db):
    purge_queues(celery_app)
    sent = client.post("/api/tasks/", {"task": "echo", "args": ["never"]}, content_type="application/json")
    doomed = sent.json()["id"]
    # No worker is up to hear it.
    revoked = client.post(f"/api/tasks/{doomed}/revoke/", {}, content_type="application/json")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["previous_state"] == QUEUED
    before = client.get(f"/api/tasks/{doomed}/").json()
    assert before["state"] == "REVOKED"
    assert before["worker"] is None
    assert before["error"] == "TaskRevokedError: revoked on request"
    assert before["finished_at"] is not None
    sent = client.post("/api/tasks/", {"task": "echo", "args": ["ran"]}, content_type="application/json")
    control = sent.json()["id"]

    discarded = []

    def on_revoked(request=None, **kwargs):
        discarded.append(request.id)

    task_revoked.connect(on_revoked, weak=False)
    try:
        with embedded_worker(celery_app):
            wait_for(lambda: status.get(control).state == "SUCCESS", timeout=30, message="the control task")
            wait_for(lambda: doomed in discarded, timeout=30, message="the worker to discard the revoked task")
    finally:
        task_revoked.disconnect(on_revoked)

    after = client.get(f"/api/tasks/{doomed}/").json()
    assert after == before  # no new time, worker or message
    page = client.get(f"/tasks/{doomed}/").content.decode()
    assert '<dd data-field="worker">—</dd>' in page
    assert "revoked on request" in page
