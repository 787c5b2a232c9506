"""`/api/workers/...` without a worker to answer: staff only, bad arguments a 400 that says why, an
unknown action a 404, and a command nobody answers a 200 whose outcome says so (each answer checked
against the OpenAPI document by tests/api/conftest.py). tests/worker/test_worker_control.py sends
commands to real workers."""

import pytest

from tasks_app.models import WorkerAction
from tasks_app.services import worker_control

pytestmark = pytest.mark.django_db
NOBODY = "nobody@nowhere"


@pytest.fixture(autouse=True)
def quick_replies(monkeypatch):
    monkeypatch.setattr(worker_control, "REPLY_SECONDS", 0.3)


def post(client, action, body):
    return client.post(f"/api/workers/{NOBODY}/{action}/", body, content_type="application/json")


def test_only_staff_may_list_ask_or_control(client, production, alice, staff):
    client.force_login(alice)
    for path in ("/api/workers/", f"/api/workers/{NOBODY}/"):
        assert client.get(path).status_code == 403
    assert post(client, "pool_grow", {"n": 1}).json() == {"error": "Only staff may do this."}
    client.force_login(staff)
    assert client.get("/api/workers/").status_code == 200
    assert client.get(f"/api/workers/{NOBODY}/").json()["answered"] is False


@pytest.mark.parametrize(
    ("action", "body", "field", "message"),
    [
        ("add_consumer", {"queue": "nope"}, "queue", "Unknown queue 'nope': the site's queues are high, default, low."),
        ("pool_grow", {"n": 0}, "n", "n must be a whole number from 1 to 100, not 0."),
        ("pool_shrink", {"n": True}, "n", "n must be a whole number from 1 to 100, not True."),
        ("rate_limit", {"task": "echo", "rate_limit": "abc"}, "rate_limit", "'abc' is not a rate"),
        ("rate_limit", {"task": "echo"}, "rate_limit", "rate_limit needs rate_limit."),
        ("shutdown", {"now": True}, "now", "shutdown takes no now (it takes: none)."),
    ],
)
def test_bad_arguments_are_a_400_that_says_why(client, action, body, field, message):
    answer = post(client, action, body)
    assert answer.status_code == 400
    assert answer.json()["field"] == field and answer.json()["error"].startswith(message)
    assert not WorkerAction.objects.exists()


def test_an_unknown_action_is_a_404(client):
    answer = post(client, "restart", {})
    assert answer.status_code == 404 and answer.json()["error"].startswith("Unknown action 'restart'")


def test_a_command_nobody_answers_is_recorded_as_no_reply(client):
    answer = post(client, "rate_limit", {"task": "echo", "rate_limit": "10/m"})
    assert answer.status_code == 200
    assert answer.json() == {
        "worker": NOBODY,
        "action": "rate_limit",
        "arguments": {"task": "echo", "rate_limit": "10/m"},
        "outcome": "no reply",
        "reply": "nobody@nowhere did not answer within 0.3 s.",
    }
    assert client.get("/api/workers/").json()["actions"][0]["outcome"] == "no reply"
    assert client.get(f"/api/workers/{NOBODY}/").json()["actions"][0]["by"] == "the local user"


def test_a_name_that_no_celery_worker_can_have_is_refused_or_not_asked(client):
    answer = post(client, "pool_grow", {"n": 1}).json()
    assert answer["outcome"] == "no reply"
    refused = client.post("/api/workers/localhost/pool_grow/", {"n": 1}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "worker"
    assert client.get("/api/workers/localhost/").json()["answered"] is False
