"""What the pages say: real past tenses, one question per confirmation, names as the rest of the site
writes them, and nothing shown that did not happen (issue 25's page nits)."""

import pytest
from celery import uuid
from django.conf import settings

from tasks_app import services
from tasks_app.models import TaskRecord
from tasks_app.validation import TaskInputError
from tests.support.celery import purge_queues

pytestmark = pytest.mark.django_db


def messages_after(response, client) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_bulk_actions_say_retried_and_revoked_not_retryd(client, celery_app, monkeypatch):
    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=["x"], kwargs={}, queue=settings.QUEUES["default"]
    )
    celery_app.backend.mark_as_failure(record.task_id, ValueError("boom"))
    try:
        html = messages_after(client.post("/tasks/retry/"), client)
        assert "Retried 1 failed task." in html
        html = messages_after(client.post("/tasks/revoke/"), client)
        assert "Revoked 1 queued or running task." in html  # the retry, still queued: no worker here
    finally:
        purge_queues(celery_app)

    def refused(*args, **kwargs):
        raise TaskInputError("The broker said no.")

    monkeypatch.setattr(services, "retry_failed", refused)
    monkeypatch.setattr(services, "revoke_unfinished", refused)
    assert "Nothing was retried." in messages_after(client.post("/tasks/retry/"), client)
    assert "Nothing was revoked." in messages_after(client.post("/tasks/revoke/"), client)
