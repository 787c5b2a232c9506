"""A retry leaves a trail on the original, both ways: "retry of" on the new task, "retried as" on
the original, on its page (every retry), in the API (`retried_as`: the latest, a string like
`retry_of`) and in the list (the latest, read in the page's own query). Retry… on an original that was
retried already says so (as "Retry all failed" does, which skips it), and still allows it: a person
asked for this one task and was told, where the bulk action cannot ask about each one."""

import uuid

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from helloworld import brokers
from tasks_app.models import TaskRecord
from tests.support.celery import app_on_broker


@pytest.fixture
def offline_broker(tmp_path, transactional_db):
    broker = brokers.filesystem(tmp_path)
    with app_on_broker(broker.url, broker.transport_options) as app:
        yield app


def failed_task() -> str:
    task_id = str(uuid.uuid4())
    TaskRecord.objects.create(task_id=task_id, task_name="echo", args=[1], queue=settings.QUEUES["default"])
    TaskResult.objects.create(task_id=task_id, status="FAILURE")
    return task_id


def test_the_original_says_what_it_was_retried_as_on_its_page_in_the_api_and_the_list(client, offline_broker):
    original = failed_task()
    assert client.get(f"/api/tasks/{original}/").json()["retried_as"] is None
    assert "already-retried" not in client.get(f"/tasks/{original}/retry/").content.decode()

    first = client.post(f"/api/tasks/{original}/retry/", content_type="application/json").json()["id"]

    detail = client.get(f"/api/tasks/{original}/").json()
    assert detail["retried_as"] == first
    assert client.get(f"/api/tasks/{first}/").json()["retry_of"] == original
    assert client.get(f"/api/tasks/{first}/").json()["retried_as"] is None
    listed = {item["id"]: item for item in client.get("/api/tasks/").json()["results"]}
    assert listed[original]["retried_as"] == first and listed[first]["retry_of"] == original
    assert listed[first]["retried_as"] is None

    page = client.get(f"/tasks/{original}/").content.decode()
    assert (
        f'<dt>Retried as</dt><dd class="mono" data-field="retried-as"><a href="/tasks/{first}/">{first}</a></dd>'
        in page
    )
    task_list = client.get("/tasks/").content.decode()
    assert f'retried as <a href="/tasks/{first}/" title="{first}"><code>{first[:8]}</code></a>' in task_list

    # Retry… says it was retried already, and still lets the person do it again.
    confirm = client.get(f"/tasks/{original}/retry/")
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f'This task was already retried as <a href="/tasks/{first}/" class="mono">{first}</a>.' in html
    assert 'method="post"' in html
    second = client.post(f"/api/tasks/{original}/retry/", content_type="application/json")
    assert second.status_code == 202
    second = second.json()["id"]
    assert client.get(f"/api/tasks/{original}/").json()["retried_as"] == second  # the latest
    page = client.get(f"/tasks/{original}/").content.decode()
    assert f'<a href="/tasks/{first}/">{first}</a>, <a href="/tasks/{second}/">{second}</a></dd>' in page  # every one
    assert f'retried as <a href="/tasks/{second}/"' in client.get("/tasks/").content.decode()

    # "Retry all failed" skips it, as before: it was retried.
    done = client.post("/api/tasks/retry/", content_type="application/json")
    assert done.status_code == 202, done.content
    assert done.json()["retried"] == 0
