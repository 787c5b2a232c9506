"""The JSON API's contract: what it accepts, and the clear 4xx/503 it gives for everything else."""

import time

import pytest
from django.conf import settings

from tasks_app import catalog, ratelimit
from tasks_app.models import TaskRecord, WindowCount
from tests.support.celery import app_on_broker
from tests.support.users import logged_in

pytestmark = pytest.mark.django_db

NOWHERE = "amqp://guest:s3cret@127.0.0.1:1//"


def post(client, body, content_type="application/json"):
    return client.post("/api/tasks/", body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"task": "nope"},
            "task",
            f"Unknown task 'nope'; choose one of: {', '.join(sorted(catalog.ENTRIES))}.",
        ),
        ({"args": ["x"]}, "task", "The field 'task' is required."),
        ({"task": ["echo"]}, "task", "Unknown task ['echo']"),
        ({"task": "echo", "args": "hello"}, "args", "Args must be a JSON list"),
        ({"task": "echo", "args": ["a"], "kwargs": []}, "kwargs", "Kwargs must be a JSON object"),
        ({"task": "echo"}, "args", "These arguments do not fit echo(value): missing a required argument: 'value'."),
        ({"task": "echo", "args": [1, 2]}, "args", "These arguments do not fit echo(value): too many positional"),
        ({"task": "echo", "kwargs": {"valu": 1}}, "kwargs", "Unknown keyword argument 'valu'; echo(value) takes"),
        ({"task": "fetch_url", "args": [5]}, "args", "Argument 'url' must be a string, not int 5."),
        ({"task": "fetch_url", "kwargs": {"url": True}}, "kwargs", "Argument 'url' must be a string, not true."),
        (
            {"task": "echo", "args": [1], "queue": "urgent"},
            "queue",
            f"Unknown queue 'urgent'; choose one of: {', '.join(settings.QUEUES)}.",
        ),
        ({"task": "echo", "args": [1], "priority": 9}, "priority", "Unknown field 'priority'"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_nothing_is_recorded(client, body, field, message):
    response = post(client, body)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["field"] == field
    assert error["error"].startswith(message) or message in error["error"]
    assert not TaskRecord.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "The body is not valid JSON"),
        ("null", "The body must be a JSON object"),
        ('["echo"]', "The body must be a JSON object"),
        (b"\xff\xfe", "The body is not valid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client, data, message):
    response = post(client, data)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_a_body_not_sent_as_json_is_a_415(client):
    response = post(client, "task=echo", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["error"]


def test_other_methods_on_the_tasks_endpoint_are_a_405(client):
    # GET lists tasks (tests/pages/test_task_list.py) and POST sends one; nothing else is allowed.
    assert client.delete("/api/tasks/").status_code == 405


def test_an_unknown_task_id_is_a_404_not_an_eternal_pending(client):
    response = client.get("/api/tasks/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json() == {
        "error": "No task with id '00000000-0000-0000-0000-000000000000' is known to this site.",
        "field": "id",
    }


def test_a_broker_that_is_down_is_a_503_within_seconds_and_leaves_no_record(client):
    with app_on_broker(NOWHERE):  # a real connection attempt to a port where nothing listens
        response = post(client, {"task": "echo", "args": ["lost?"]})
    assert response.status_code == 503
    assert response.json()["error"].startswith("The task broker is not reachable, so the task was not queued")
    assert not TaskRecord.objects.exists()


@pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 5, "schedule": 0})
def test_a_task_the_broker_refused_gives_its_rate_limit_count_back(production, one_window, alice):
    # The record and the count are committed before the publish; a refused publish undoes both.
    client = logged_in(alice)
    with app_on_broker(NOWHERE):
        assert post(client, {"task": "echo", "args": ["lost?"]}).status_code == 503
    assert not TaskRecord.objects.exists()
    assert WindowCount.objects.get(key=ratelimit.key(alice, "enqueue")).count == 0
    assert post(client, {"task": "echo", "args": ["kept"]}).status_code == 202
    assert WindowCount.objects.get(key=ratelimit.key(alice, "enqueue")).count == 1


@pytest.mark.parametrize("broker", ["rabbitmq"], indirect=True)
def test_health_names_the_broker_its_workers_and_beat(client, celery_worker, broker):
    body = client.get("/api/health/").json()
    assert body["status"] == "ok"
    assert body["broker"]["reachable"] is True
    assert body["workers"]["alive"] is True
    assert body["workers"]["nodes"][celery_worker.hostname] == sorted(settings.QUEUES.values())
    assert body["beat"] == {"alive": False, "last_tick": None, "leader": None}


def test_health_is_a_503_when_the_broker_is_unreachable(client):
    started = time.monotonic()
    with app_on_broker(NOWHERE):
        response = client.get("/api/health/")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["reachable"] is False
    assert body["broker"]["error"]
    assert "s3cret" not in response.content.decode()
