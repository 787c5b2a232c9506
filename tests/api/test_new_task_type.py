"""A task type is its task and its catalog entry, nothing more: registered, it shows in every list a
person or a client reads (the OpenAPI document, the CLI's help, the API page, the form) and the API
takes it; a queue added to QUEUES shows in the same lists."""

import json
from contextlib import contextmanager

import pytest
from celery import shared_task
from django.core.management import load_command_class

from helloworld import brokers
from tasks_app import catalog, states, validation
from tasks_app.forms import TaskForm
from tasks_app.models import TaskRecord
from tests.support.celery import app_on_broker

NAME = "shout"


@shared_task(name="tests.api.test_new_task_type.shout")
def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


@contextmanager
def registered():
    entry = catalog.register(catalog.Entry(NAME, shout, example_args=["hi"]))
    try:
        yield entry
    finally:
        catalog.unregister(NAME)


@pytest.fixture
def new_task():
    assert NAME not in catalog.ENTRIES
    with registered() as entry:
        yield entry
    assert NAME not in catalog.ENTRIES


@pytest.fixture
def new_queue(settings):
    settings.QUEUES = {**settings.QUEUES, "bulk": "helloworld.bulk"}
    return "bulk"


def command_help(name: str) -> str:
    return load_command_class("tasks_app", name).create_parser("manage.py", name).format_help()


def enum(document: dict, name: str) -> list:
    return document["components"]["schemas"][name]["enum"]


def test_the_openapi_document_lists_it_although_it_was_built_before(client):
    before = client.get("/api/openapi.json").json()  # built, and cached, without it
    assert NAME not in enum(before, "TaskName")
    with registered():
        document = client.get("/api/openapi.json").json()
    assert enum(document, "TaskName") == [*enum(before, "TaskName"), NAME]
    # The body's `task` and the list's `?task=` filter both name that enum.
    assert document["components"]["schemas"]["TaskCreate"]["properties"]["task"] == {
        "$ref": "#/components/schemas/TaskName"
    }
    task_filter = next(p for p in document["paths"]["/api/tasks/"]["get"]["parameters"] if p["name"] == "task")
    assert task_filter["schema"] == {"$ref": "#/components/schemas/TaskName"}
    assert NAME not in enum(client.get("/api/openapi.json").json(), "TaskName")  # and gone once unregistered


def test_the_openapi_document_lists_a_new_queue(client, new_queue):
    assert new_queue in enum(client.get("/api/openapi.json").json(), "QueueName")


@pytest.mark.parametrize("command", ["enqueue", "retry", "revoke"])
def test_the_cli_help_lists_it_and_every_queue(new_task, new_queue, command):
    text = " ".join(command_help(command).split())  # argparse wraps lines where it likes
    assert NAME in text
    for queue in catalog.queues():
        assert queue in text
    assert new_queue in text


def test_the_api_page_lists_it_every_queue_and_every_state(admin_client, new_task, new_queue):
    page = admin_client.get("/api/").content.decode()
    assert f"<code>{NAME}</code>" in page
    for queue in catalog.queues():
        assert f"<code>{queue}</code>" in page
    assert "<code>word_count</code> or <code>shout</code>" in page  # the site's last, then the new one
    assert f"choose one of: {', '.join(catalog.queues())}." in page
    for state in states.STATES:
        assert f"<code>{state}</code>" in page


def test_the_form_offers_it_and_checks_its_arguments(new_task, new_queue):
    form = TaskForm()
    assert NAME in dict(form.fields["task"].choices)
    assert "Say it louder." in dict(form.fields["task"].choices)[NAME]
    assert new_queue in dict(form.fields["queue"].choices)


@pytest.fixture
def offline_broker(tmp_path, transactional_db):
    """A broker of the test's own that no worker reads: what is sent stays QUEUED."""
    broker = brokers.filesystem(tmp_path)
    with app_on_broker(broker.url, broker.transport_options) as app:
        yield app


def test_the_api_takes_it_and_refuses_arguments_that_do_not_fit(client, new_task, offline_broker):
    def post(body):
        return client.post("/api/tasks/", data=json.dumps(body), content_type="application/json")

    response = post({"task": NAME, "args": ["hi"]})
    assert response.status_code == 202, response.content
    record = TaskRecord.objects.get(task_id=response.json()["id"])
    assert (record.task_name, record.args) == (NAME, ["hi"])
    assert client.get(f"/api/tasks/?task={NAME}").json()["results"][0]["id"] == record.task_id

    refused = post({"task": NAME, "args": [1, 2]})
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "These arguments do not fit shout(text: str) -> str: too many positional arguments.",
        "field": "args",
    }


@pytest.mark.django_db
def test_the_states_a_retry_needs_are_named_from_the_state_constants(admin_client):
    """Not a task type, the same rule: the page's refusal and the API's 409 list the finished states."""
    record = TaskRecord.objects.create(task_id="still-queued", task_name="echo", args=[1], kwargs={}, queue="default")
    finished = validation.in_words(state for state in states.STATES if state in states.FINISHED_STATES)
    page = admin_client.get(f"/tasks/{record.task_id}/retry/")
    assert page.status_code == 409
    assert f"Only a finished task ({finished}) can be retried." in page.content.decode()
    answer = admin_client.post(f"/api/tasks/{record.task_id}/retry/", content_type="application/json")
    assert answer.status_code == 409
    assert answer.json()["error"].endswith(f"only a finished task ({finished}) can be retried.")
