"""One spelling of a queue's name in everything a person or a script reads, and both taken back.

Shown: the short name (`default`), which the form, the API and the CLI always took and which does
not change with QUEUE_PREFIX. Taken: the short name, and the broker's (`helloworld.default`, what
Celery's own tools and logs show) too, in the API's filters and bodies, the page's filter and the CLI.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from helloworld import brokers
from tasks_app.models import TaskRecord
from tests.support.celery import app_on_broker


@pytest.fixture
def offline_broker(tmp_path, transactional_db):
    """A broker of the test's own that no worker reads: what is sent stays QUEUED."""
    broker = brokers.filesystem(tmp_path)
    with app_on_broker(broker.url, broker.transport_options) as app:
        yield app


HIGH, LOW = settings.QUEUES["high"], settings.QUEUES["low"]  # the broker's names (the tests' own prefix)


def test_a_task_sent_to_the_brokers_queue_name_is_shown_and_found_by_its_short_name(client, offline_broker):
    response = client.post(
        "/api/tasks/", {"task": "echo", "args": ["x"], "queue": HIGH}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["id"]
    assert TaskRecord.objects.get(task_id=task_id).queue == settings.QUEUES["high"]  # the broker's queue

    detail = client.get(f"/api/tasks/{task_id}/").json()
    assert detail["queue"] == "high"
    for spelling in ("high", HIGH):
        listed = client.get(f"/api/tasks/?queue={spelling}")
        assert listed.status_code == 200, listed.content
        assert [(item["id"], item["queue"]) for item in listed.json()["results"]] == [(task_id, "high")]
    # What the API shows, sent back, is taken.
    again = client.post(
        "/api/tasks/", {"task": "echo", "args": ["y"], "queue": detail["queue"]}, content_type="application/json"
    )
    assert again.status_code == 202
    bulk = client.post(
        "/api/tasks/bulk/", {"tasks": [{"task": "echo", "args": [1], "queue": LOW}]}, content_type="application/json"
    )
    assert bulk.status_code == 202, bulk.content
    assert TaskRecord.objects.get(task_id=bulk.json()["tasks"][0]["id"]).queue == settings.QUEUES["low"]

    page = client.get(f"/tasks/?queue={HIGH}").content.decode()
    assert '<td data-label="Queue" data-field="queue">high</td>' in page
    assert HIGH not in page.replace(f"queue={HIGH}", "")  # only in the links that keep the filter
    assert "<option selected>high</option>" in page  # the filter form shows what it filters on
    home = client.get("/").content.decode()  # the recent tasks, as a periodic task's runs show them
    assert '<td data-label="Queue">high</td>' in home and f'<td data-label="Queue">{HIGH}</td>' not in home
    status_page = client.get(f"/tasks/{task_id}/").content.decode()
    assert "<dt>Queue</dt><dd>high</dd>" in status_page

    out = io.StringIO()
    call_command("task_status", task_id, stdout=out)
    assert json.loads(out.getvalue())["queue"] == "high"


def test_an_unknown_queue_is_still_a_400_naming_the_short_names(client, offline_broker):
    for queue in (HIGH.replace("high", "urgent"), "other.default", "HIGH"):
        response = client.post(
            "/api/tasks/", {"task": "echo", "args": [1], "queue": queue}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": f"Unknown queue '{queue}'; choose one of: {', '.join(settings.QUEUES)}.",
            "field": "queue",
        }
        assert client.get(f"/api/tasks/?queue={queue}").status_code == 400
    assert not TaskRecord.objects.exists()


def test_the_cli_takes_either_spelling(offline_broker):
    out = io.StringIO()
    call_command("enqueue", "echo", "--args", '["cli"]', "--queue", LOW, stdout=out)
    record = TaskRecord.objects.get()
    assert record.queue == settings.QUEUES["low"]


def test_a_periodic_task_takes_either_spelling_and_shows_the_short_one(client, offline_broker):
    body = {"task": "echo", "args": ["p"], "schedule": "every 5 minutes", "name": "q", "queue": LOW}
    created = client.post("/api/tasks/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["queue"] == "low"
    task_id = created.json()["id"]
    changed = client.patch(f"/api/periodic/{task_id}/", {"queue": HIGH}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["queue"] == "high"
    page = client.get(f"/periodic/{task_id}/").content.decode()
    assert "<dt>Queue</dt><dd>high</dd>" in page
