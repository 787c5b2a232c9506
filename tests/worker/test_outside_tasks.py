"""Tasks sent by another service with plain Celery reach the site's worker and get a record there:
the list, the API and its filters find them, with their real queue and JSON
arguments and honest times, they can be retried, and /metrics counts them in both gauges."""

from datetime import datetime

import pytest
from celery import Celery
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tasks_app.selectors import status
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


@pytest.fixture
def published_headers():
    """The headers of each task message this process publishes, as the broker gets them."""
    from celery.signals import after_task_publish

    seen = {}

    def keep(headers=None, **kwargs):
        seen[headers["id"]] = dict(headers)

    after_task_publish.connect(keep, weak=False)
    try:
        yield seen
    finally:
        after_task_publish.disconnect(keep)


def test_the_site_says_in_each_message_that_it_recorded_the_task(celery_app, published_headers, db):
    """The worker reads the record table for every task only to find tasks sent from
    outside; the site's own messages (enqueue, bulk, beat's runs) say the record is there."""
    from tasks_app import services
    from tasks_app.broker.queues import RECORDED_HEADER
    from tasks_app.tasks import echo

    one = services.enqueue("echo", ["one"]).task_id
    many = [record.task_id for record in services.enqueue_many([{"task": "echo", "args": ["a"]}] * 2)]
    periodic = echo.apply_async(["beat"], headers={"periodic_task_name": "every minute"}).id  # as beat sends
    plain = echo.apply_async(["plain"]).id  # the site's app, but no record: the worker must look
    for task_id in (one, *many, periodic):
        assert published_headers[task_id].get(RECORDED_HEADER) is True, task_id
    assert RECORDED_HEADER not in published_headers[plain]
    from tasks_app.models import TaskRecord

    assert TaskRecord.objects.filter(task_id=periodic).exists()
    assert not TaskRecord.objects.filter(task_id=plain).exists()


def test_the_worker_reads_no_record_for_a_task_the_site_recorded(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks_app.broker.queues import RECORDED_HEADER
    from tasks_app.models import TaskRecord
    from tasks_app.tasks import echo
    from tasks_app.worker.outside import record_if_unknown

    echo.push_request(id="recorded-1", headers={RECORDED_HEADER: True}, delivery_info={})
    try:
        with CaptureQueriesContext(connection) as queries:
            record_if_unknown(task_id="recorded-1", task=echo, args=["x"], kwargs={})
    finally:
        echo.pop_request()
    assert len(queries) == 0
    echo.push_request(id="outside-1", headers={}, delivery_info={"routing_key": "q"})
    try:
        record_if_unknown(task_id="outside-1", task=echo, args=["x"], kwargs={})
    finally:
        echo.pop_request()
    assert TaskRecord.objects.get(task_id="outside-1").args == ["x"]  # without the header it still records
