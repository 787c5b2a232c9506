"""The workers pages (tasks_app.views.workers) and their CLI twin without a worker to answer: who may
see them, the confirmation before a destructive command, bad input refused before anything is sent,
and every command sent recorded with its answer (here: none) on the worker's page and the dashboard.
tests/worker/test_worker_control.py sends them to real workers."""

import re

import pytest
from django.core.management import CommandError, call_command

from tasks_app.models import WorkerAction
from tasks_app.services import worker_control
from tests.support.users import logged_in

pytestmark = pytest.mark.django_db
NOBODY = "nobody@nowhere"


@pytest.fixture(autouse=True)
def quick_replies(monkeypatch):
    monkeypatch.setattr(worker_control, "REPLY_SECONDS", 0.3)


def test_only_staff_see_or_control_the_workers(production, alice, staff):
    for path in ("/workers/", f"/workers/{NOBODY}/"):
        assert logged_in(alice).get(path).status_code == 403
        assert logged_in(staff).get(path).status_code == 200
    refused = logged_in(alice).post(f"/workers/{NOBODY}/pool_grow/", {"n": "1"})
    assert refused.status_code == 403
    assert not WorkerAction.objects.exists()
    dashboard = logged_in(alice).get("/dashboard/").content.decode()
    assert "Control the workers" not in dashboard


def test_a_shutdown_is_confirmed_first_then_sent_and_recorded(production, staff):
    client = logged_in(staff)
    asked = client.post(f"/workers/{NOBODY}/shutdown/")
    assert asked.status_code == 200 and b"Shut down nobody@nowhere?" in asked.content
    assert not WorkerAction.objects.exists()

    sent = client.post(f"/workers/{NOBODY}/shutdown/", {"confirmed": "yes"}, follow=True)
    page = sent.content.decode()
    assert "shutdown — nobody@nowhere gave no answer: nobody@nowhere did not answer within 0.3 s, so it" in page
    row = WorkerAction.objects.get()
    assert (row.by, row.worker, row.action, row.outcome) == ("sam", NOBODY, "shutdown", "no reply")
    assert 'data-action="shutdown"' in page  # the worker's page lists it
    assert 'data-action="shutdown"' in client.get("/dashboard/").content.decode()


def test_stopping_a_queue_is_confirmed_and_an_unknown_queue_refused(staff):
    client = logged_in(staff)
    asked = client.post(f"/workers/{NOBODY}/cancel_consumer/", {"queue": "low"})
    assert b"consuming from low?" in asked.content and b'name="queue" value="low"' in asked.content
    refused = client.post(f"/workers/{NOBODY}/cancel_consumer/", {"queue": "nope"}, follow=True)
    assert "Unknown queue &#x27;nope&#x27;: the site&#x27;s queues are high, default, low." in refused.content.decode()
    assert not WorkerAction.objects.exists()


@pytest.mark.parametrize(
    ("action", "arguments", "message"),
    [
        ("pool_grow", {"n": "0"}, "n must be a whole number from 1 to 100, not &#x27;0&#x27;."),
        ("pool_shrink", {"n": "-2"}, "n must be a whole number from 1 to 100"),
        ("rate_limit", {"task": "echo", "rate_limit": "abc"}, "&#x27;abc&#x27; is not a rate"),
        ("rate_limit", {"task": "nope", "rate_limit": "5/s"}, "Unknown task type &#x27;nope&#x27;"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(staff, action, arguments, message):
    answer = logged_in(staff).post(f"/workers/{NOBODY}/{action}/", arguments, follow=True)
    assert message in answer.content.decode()
    assert not WorkerAction.objects.exists()


def test_the_cli_refuses_bad_input_and_wants_yes_for_a_shutdown():
    with pytest.raises(CommandError, match="'abc' is not a rate"):
        call_command("worker_control", NOBODY, "rate_limit", "task=echo", "rate_limit=abc")
    with pytest.raises(CommandError, match="add --yes to confirm"):
        call_command("worker_control", NOBODY, "shutdown")
    with pytest.raises(CommandError, match=re.escape("no reply: nobody@nowhere did not answer within 0.3 s.")):
        call_command("worker_control", NOBODY, "pool_grow", "n=2", "--by", "ops")
    assert WorkerAction.objects.get().arguments == {"n": 2}
