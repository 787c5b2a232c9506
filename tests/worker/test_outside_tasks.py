"""Tasks sent by another service with plain Celery reach the site's worker and get a record there
(issue 25, item 10): the list, the API and its filters find them, with their real queue and JSON
arguments and honest times, they can be retried, and /metrics counts them in both gauges."""

from datetime import datetime

import pytest
from celery import Celery
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tasks_app import status
from tests.support.waiting import wait_for


@pytest.fixture
def other_service(broker):
    """A plain Celery app of another service: the broker's URL and nothing of the site's."""
    app = Celery("billing", broker=broker.url, set_as_current=False)
    app.conf.broker_transport_options = broker.transport_options
    try:
        yield app
    finally:
        app.close()


def test_a_task_sent_with_plain_celery_is_recorded_listed_and_retryable(client, celery_worker, other_service):
    queue = settings.QUEUES["low"]
    task_id = other_service.send_task("tasks_app.tasks.echo", [{"word": "x", "n": 1}], queue=queue).id
    wait_for(lambda: (found := status.get(task_id)) and found.state == "SUCCESS", message="the task to run")

    listed = client.get("/api/tasks/", {"task": "echo", "queue": "low"}).json()["results"]
    [mine] = [task for task in listed if task["id"] == task_id]
    assert mine["queue"] == "low"  # shown by its short name, as every answer does
    detail = client.get(f"/api/tasks/{task_id}/").json()
    # JSON, not the result table's Python repr "[{'word': 'x', 'n': 1}]"
    assert detail["args"] == [{"word": "x", "n": 1}] and detail["queue"] == "low"
    assert datetime.fromisoformat(detail["enqueued_at"]) <= datetime.fromisoformat(detail["started_at"])
    assert task_id in client.get("/tasks/", {"state": "SUCCESS"}).content.decode()

    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").content.decode())}
    sent = [
        s
        for s in families["helloworld_tasks_sent_last_hour"].samples
        if s.labels["queue"] == queue and s.labels["state"] == "SUCCESS"
    ]
    assert sum(s.value for s in sent) == 1

    retried = client.post(f"/api/tasks/{task_id}/retry/", content_type="application/json")
    assert retried.status_code == 202, retried.content
    again = retried.json()["id"]
    wait_for(lambda: (found := status.get(again)) and found.state == "SUCCESS", message="the retry to run")
    assert client.get(f"/api/tasks/{again}/").json()["result"] == {"word": "x", "n": 1}


def test_a_task_the_site_sent_keeps_its_own_record(client, celery_worker):
    from tasks_app import services
    from tasks_app.models import TaskRecord

    task_id = services.enqueue("echo", ["mine"]).task_id
    wait_for(lambda: status.get(task_id).state == "SUCCESS", message="the task to run")
    assert TaskRecord.objects.filter(task_id=task_id).count() == 1
