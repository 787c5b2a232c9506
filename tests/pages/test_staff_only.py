"""What names the machines behind the site (the broker's host and port, worker node names, the beat's
host:pid, the broker's own error text) is shown to staff only: in the footer, on the dashboard and its
JSON, on a task's status, and in the 503 a send answers while the broker is down."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from helloworld import brokers
from tasks_app import services
from tasks_app.models import BeatHeartbeat, BeatLease, MonitorSnapshot
from tests.support.celery import app_on_broker
from tests.support.users import logged_in

BROKER_HOST = "broker.internal.example:6380"
WORKER = "celery@worker-host.internal.example"
BEAT = "beat-host.internal.example:4242"
BROKER_ERROR = f"ConnectionError: Error 111 connecting to {BROKER_HOST}. Connection refused."
# A Redis that is not there: redis-py names the host and port it could not reach in its error.
NOWHERE = "redis://127.0.0.1:1/0"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.production(
        BROKER=brokers.redis(f"redis://{BROKER_HOST}/0", "CELERY_BROKER_URL", {}),
        MONITOR_REFRESH_SECONDS=3600,  # the snapshot below is what the site last saw
    ),
]


@pytest.fixture
def machines_seen(production):
    """What the monitor and a beat wrote last: one worker, the broker's error, a leading beat."""
    now = timezone.now()
    worker = {
        "name": WORKER,
        "alive": True,
        "queues": ["helloworld.default"],
        "concurrency": 2,
        "running": 0,
        "processed": 3,
        "started_at": now.isoformat(),
        "last_seen": now.isoformat(),
    }
    queue = {"name": "default", "broker_name": "helloworld.default", "depth": None}
    queue |= {"oldest_age_seconds": None, "consumers": None, "error": BROKER_ERROR}
    MonitorSnapshot.objects.update_or_create(
        name="broker",
        defaults={"taken_at": now, "data": {"broker_error": BROKER_ERROR, "queues": [queue], "workers": [worker]}},
    )
    BeatHeartbeat.objects.create(node=BEAT, last_tick=now, is_leader=True)
    BeatLease.objects.create(name="beat", holder=BEAT, expires_at=now + timedelta(seconds=15))


MACHINE_NAMES = (BROKER_HOST, "worker-host", "beat-host", "4242")


def shown(text: str) -> list[str]:
    return [name for name in MACHINE_NAMES if name in text]


def test_the_footer_names_the_brokers_host_to_staff_only(production, alice, staff):
    assert BROKER_HOST in logged_in(staff).get("/").content.decode()
    page = logged_in(alice).get("/").content.decode()
    assert "Broker: redis ·" in page and shown(page) == []


def test_the_dashboard_and_its_json_name_machines_to_staff_only(machines_seen, alice, staff):
    as_staff = logged_in(staff)
    assert set(shown(as_staff.get("/dashboard/").content.decode())) == set(MACHINE_NAMES)
    data = as_staff.get("/api/dashboard/").json()
    assert data["workers"][0]["name"] == WORKER and data["beat"]["leader"] == BEAT
    assert data["broker_error"] == BROKER_ERROR

    user = logged_in(alice)
    page = user.get("/dashboard/").content.decode()
    assert shown(page) == []
    assert "worker 1" in page and "beat 1" in page and "the broker did not answer" in page
    data = user.get("/api/dashboard/").json()
    assert shown(json.dumps(data)) == []
    assert data["workers"][0]["name"] == "worker 1" and data["workers"][0]["processed"] == 3
    assert data["beat"]["leader"] == "beat 1" and data["beat"]["beats"][0] == {
        **data["beat"]["beats"][0],
        "node": "beat 1",
    }
    assert data["broker_error"] == data["queues"][0]["error"] == "the broker did not answer (staff see its own error)"


def test_a_tasks_worker_is_named_to_staff_only(production, alice, staff):
    from django_celery_results.models import TaskResult

    record = services.enqueue("echo", ["hi"], owner=alice)
    TaskResult.objects.create(task_id=record.task_id, status="SUCCESS", worker=WORKER, result='"hi"')
    user = logged_in(alice)
    assert user.get(f"/api/tasks/{record.task_id}/").json()["worker"] == "a worker (staff see which)"
    assert shown(user.get(f"/tasks/{record.task_id}/").content.decode()) == []
    assert logged_in(staff).get(f"/api/tasks/{record.task_id}/").json()["worker"] == WORKER


def test_the_503_while_the_broker_is_down_gives_its_address_to_staff_only(production, alice, staff):
    body = {"task": "echo", "args": ["hi"]}
    form = {"task": "echo", "args": '["hi"]', "kwargs": "{}", "queue": "default"}
    with app_on_broker(NOWHERE):
        as_staff, user = logged_in(staff), logged_in(alice)
        staff_answer = as_staff.post("/api/tasks/", body, content_type="application/json")
        user_answer = user.post("/api/tasks/", body, content_type="application/json")
        staff_page, user_page = as_staff.post("/", form), user.post("/", form)
    assert staff_answer.status_code == user_answer.status_code == staff_page.status_code == user_page.status_code == 503
    assert staff_answer.json()["error"].startswith("The task broker is not reachable, so the task was not queued: ")
    assert "127.0.0.1:1" in staff_answer.json()["error"]
    assert "127.0.0.1:1" in staff_page.content.decode()
    assert user_answer.json()["error"] == (
        "The task broker is not reachable, so the task was not queued; only staff see the broker's own error."
    )
    assert "127.0.0.1:1" not in user_page.content.decode()
    assert "only staff see the broker&#x27;s own error. Nothing was saved" in user_page.content.decode()
