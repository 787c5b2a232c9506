"""The catalog's django.tasks tasks (tasks_app/reports.py) are tasks of the site like any other: the
API and `.enqueue()` send them alike, the list, metrics, retry, revoke and owners all work on them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import reports, services
from tasks_app.djtasks import compat
from tasks_app.models import TaskRecord
from tests.support.djtasks import finished
from tests.support.users import logged_in

Status = compat.TaskResultStatus


def test_sent_from_the_api_and_read_through_django(client, celery_worker, settings):
    response = client.post(
        "/api/tasks/", {"task": "sales_report", "kwargs": {"days": 2}}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["id"]
    done = finished(reports.sales_report, task_id)
    assert done.status == Status.SUCCESSFUL
    assert done.return_value["days"] == 2
    assert len(done.return_value["by_day"]) == 2
    assert done.kwargs == {"days": 2}
    body = client.get(f"/api/tasks/{task_id}/").json()
    assert body["state"] == "SUCCESS"
    assert body["result"] == done.return_value
    assert body["queue"] == "low"  # the Task's own queue_name, by its short name as every answer gives it


@pytest.mark.django_db
def test_the_catalog_checks_its_arguments_as_for_any_task(client):
    response = client.post(
        "/api/tasks/", {"task": "sales_report", "kwargs": {"days": 0}}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Argument 'days' must be from 1 to 60, not 0."
    response = client.post("/api/tasks/", {"task": "word_count", "args": [3]}, content_type="application/json")
    assert response.json()["error"] == "Argument 'text' must be a string, not int 3."
    assert not TaskRecord.objects.exists()


def test_enqueued_through_django_it_shows_in_the_list_filters_and_metrics(client, celery_worker):
    result = reports.word_count.enqueue("one two\nthree")
    record = TaskRecord.objects.get(task_id=result.id)
    assert record.task_name == "word_count"  # the catalog's name, as the form would record it
    done = finished(reports.word_count, result.id)
    assert done.return_value == {"words": 3, "lines": 2, "characters": 13}
    listed = client.get("/api/tasks/?task=word_count").json()["results"]
    assert [task["id"] for task in listed] == [result.id]
    assert result.id in client.get("/tasks/?task=word_count").content.decode()
    # /metrics names tasks as Celery does (the result table's name): the Task's module path.
    metrics = client.get("/metrics").content.decode().splitlines()
    for family in ("helloworld_tasks_last_hour{", "helloworld_tasks_sent_last_hour{"):
        assert any(
            line.startswith(family) and 'task="tasks_app.reports.word_count"' in line and 'state="SUCCESS"' in line
            for line in metrics
        ), family


def test_revoke_and_retry(client, celery_worker):
    # Held back a minute by run_after, so that it is still waiting when revoked.
    result = reports.word_count.using(run_after=timezone.now() + timedelta(minutes=1)).enqueue("a b")
    services.revoke(result.id)
    revoked = reports.word_count.get_result(result.id)
    assert revoked.status == Status.FAILED
    assert revoked.errors == []  # it never ran: nothing raised
    response = client.post(f"/api/tasks/{result.id}/retry/", {}, content_type="application/json")
    assert response.status_code == 202, response.content
    again = response.json()["id"]
    assert TaskRecord.objects.get(task_id=again).retry_of_id == result.id
    assert finished(reports.word_count, again).return_value == {"words": 2, "lines": 1, "characters": 3}


@pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 0, "schedule": 0})
def test_only_its_owner_and_staff_see_it(production, alice, bob, staff):
    clients = {"alice": logged_in(alice), "bob": logged_in(bob), "sam": logged_in(staff)}
    response = clients["alice"].post(
        "/api/tasks/", {"task": "word_count", "args": ["mine"]}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["id"]
    assert clients["alice"].get(f"/api/tasks/{task_id}/").status_code == 200
    assert clients["sam"].get(f"/api/tasks/{task_id}/").status_code == 200
    assert clients["bob"].get(f"/api/tasks/{task_id}/").status_code == 404
    # Django's API has no users: get_result reads any task by id, for code that holds the id.
    assert reports.word_count.get_result(task_id).args == ["mine"]


@pytest.mark.django_db
def test_the_form_and_the_openapi_document_offer_them(client):
    form = client.get("/").content.decode()
    document = client.get("/api/openapi.json").json()
    assert {"sales_report", "word_count"} <= set(document["components"]["schemas"]["TaskName"]["enum"])
    for name in ("sales_report", "word_count"):
        assert f'value="{name}"' in form
