"""POST /api/tasks/bulk/: thousands of tasks in one request, validated all or nothing, sent in as
few broker round trips as the broker allows, and never recorded as queued when the broker did not
take them."""

import json
import shutil
import subprocess
import time

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from tasks_app import ratelimit
from tasks_app.models import TaskRecord, WindowCount
from tests.support.celery import app_on_broker, purge_queues
from tests.support.users import logged_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

NOWHERE = "amqp://guest:guest@127.0.0.1:1//"


def post_bulk(client, body):
    return client.post("/api/tasks/bulk/", body, content_type="application/json")


def echoes(count: int, pad: int = 0) -> list[dict]:
    return [{"task": "echo", "args": [f"{'x' * pad}{i}"]} for i in range(count)]


# --- 5,000 tasks, every one run ------------------------------------------------------------


@pytest.mark.broker_bound
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)
def test_5000_tasks_in_one_request_all_complete(client, celery_worker, broker):
    # 600 bytes of padding each puts the body (about 3 MB) past Django's own 2.5 MiB upload cap,
    # which this endpoint replaces with its own larger one.
    tasks = echoes(5000, pad=600)
    body = json.dumps({"tasks": tasks})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    started = time.monotonic()
    response = post_bulk(client, body)
    accepted_in = time.monotonic() - started
    assert response.status_code == 202, response.content[:500]
    answered = response.json()["tasks"]
    assert len(answered) == 5000
    ids = [task["id"] for task in answered]
    assert len(set(ids)) == 5000
    assert all(task["url"] == f"/api/tasks/{task['id']}/" for task in answered)
    # Request order: the records hold each task's own args.
    args_by_id = dict(TaskRecord.objects.values_list("task_id", "args"))
    assert [args_by_id[task_id] for task_id in ids] == [task["args"] for task in tasks]

    def all_succeeded():
        return TaskResult.objects.filter(task_id__in=ids, status="SUCCESS").count() == 5000

    wait_for(all_succeeded, timeout=240, interval=1, message="all 5,000 tasks to succeed")
    results = dict(TaskResult.objects.filter(task_id__in=ids).values_list("task_id", "result"))
    assert [json.loads(results[task_id]) for task_id in ids] == [task["args"][0] for task in tasks]
    print(f"{broker.kind}: 5,000 tasks accepted in {accepted_in:.2f} s")


# --- Validation: every task checked before any is sent --------------------------------------


@pytest.mark.parametrize(
    ("tasks", "field", "message"),
    [
        (
            [*echoes(3), {"task": "echo", "args": "x"}],
            "tasks[3].args",
            "Task 3: Args must be a JSON list",
        ),
        ([*echoes(2), {"task": "nope"}], "tasks[2].task", "Task 2: Unknown task 'nope'"),
        ([{"task": "echo", "args": [1], "queue": "urgent"}], "tasks[0].queue", "Task 0: Unknown queue 'urgent'"),
        ([*echoes(1), {"task": "echo", "kwargs": {"valu": 1}}], "tasks[1].kwargs", "Unknown keyword argument 'valu'"),
        ([*echoes(5), {"args": [1]}], "tasks[5].task", "The field 'task' is required."),
        ([*echoes(1), {"task": "echo", "args": [1], "when": 3}], "tasks[1].when", "Unknown field 'when'"),
        ([*echoes(1), ["echo", 1]], "tasks[1]", "Task 1 must be a JSON object"),
        ([], "tasks", "The field 'tasks' must be a non-empty list"),
        ({"task": "echo"}, "tasks", "The field 'tasks' must be a non-empty list"),
    ],
)
def test_one_bad_task_refuses_the_whole_request_naming_its_position(client, tasks, field, message):
    response = post_bulk(client, {"tasks": tasks})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["error"]
    assert not TaskRecord.objects.exists()


def test_the_body_must_hold_only_tasks(client):
    response = post_bulk(client, {"tasks": echoes(1), "queue": "high"})
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown field 'queue'; the only field is tasks.", "field": "queue"}
    assert post_bulk(client, {}).json() == {"error": "The field 'tasks' is required.", "field": "tasks"}


def test_more_tasks_than_the_limit_are_refused(client, settings):
    settings.API_BULK_MAX_TASKS = 10
    response = post_bulk(client, {"tasks": echoes(11)})
    assert response.status_code == 400
    assert response.json() == {
        "error": "11 tasks in one request; the limit is 10 (API_BULK_MAX_TASKS).",
        "field": "tasks",
    }
    assert not TaskRecord.objects.exists()


def test_a_body_past_the_small_api_cap_is_fine_and_one_past_the_bulk_cap_is_a_413(client):
    # About 330 KB: more than the 256 KiB the other endpoints read.
    response = post_bulk(client, {"tasks": echoes(1000, pad=300)})
    assert response.status_code == 202, response.content[:300]
    assert TaskRecord.objects.count() == 1000

    too_big = json.dumps({"tasks": echoes(10, pad=settings.API_BULK_MAX_BODY_BYTES // 10)})
    response = post_bulk(client, too_big)
    assert response.status_code == 413
    assert response.json()["error"] == (
        "The body is larger than 8192 KiB (8388608 bytes), the most this endpoint reads."
    )
    assert TaskRecord.objects.count() == 1000


def test_a_body_whose_content_length_lies_is_still_read_no_further_than_the_cap(client):
    body = json.dumps({"tasks": echoes(1)}).encode()
    response = client.generic("POST", "/api/tasks/bulk/", body, content_type="application/json", CONTENT_LENGTH="10")
    assert response.status_code == 400  # only the declared 10 bytes are read: not JSON
    assert not TaskRecord.objects.exists()


# --- The broker: all or nothing -------------------------------------------------------------


def test_a_broker_that_is_down_is_a_503_and_records_nothing(client):
    with app_on_broker(NOWHERE):
        response = post_bulk(client, {"tasks": echoes(20)})
    assert response.status_code == 503
    assert response.json()["error"].startswith("The task broker is not reachable, so no task was queued")
    assert not TaskRecord.objects.exists()


@pytest.fixture
def low_queue_holds_two(celery_app):
    """A RabbitMQ policy (the broker's own feature, not a mock) that makes this run's low queue
    refuse publishes beyond two messages: the broker nacks them, as a full or failing node would."""
    if not shutil.which("rabbitmqctl"):
        pytest.skip("rabbitmqctl is needed to set a queue policy on the local RabbitMQ")
    name = f"{settings.QUEUE_PREFIX}-holds-two"
    pattern = f"^{settings.QUEUES['low'].replace('.', '[.]')}$"
    definition = json.dumps({"max-length": 2, "overflow": "reject-publish"})
    policy = ["rabbitmqctl", "-q", "set_policy", "--apply-to", "queues", name, pattern, definition]
    subprocess.run(policy, check=True, capture_output=True, timeout=30)
    purge_queues(celery_app)
    try:
        time.sleep(1)  # policies reach queues asynchronously
        yield
    finally:
        subprocess.run(["rabbitmqctl", "-q", "clear_policy", name], check=True, capture_output=True, timeout=30)
        purge_queues(celery_app)


@pytest.mark.parametrize("broker", ["rabbitmq"], indirect=True)
def test_messages_the_broker_refuses_midway_leave_no_task_recorded_as_queued(client, low_queue_holds_two):
    response = post_bulk(client, {"tasks": [{**task, "queue": "low"} for task in echoes(6)]})
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error.startswith("The task broker failed while the tasks were being sent, so none is recorded as queued")
    assert "RabbitMQ refused 4 of 6 messages" in error
    assert not TaskRecord.objects.exists()


# --- Rate limits count every task -----------------------------------------------------------


@pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 10, "schedule": 0})
def test_each_task_of_a_bulk_request_counts_against_the_rate_limit(production, one_window, alice):
    client = logged_in(alice)

    too_many = post_bulk(client, {"tasks": echoes(11)})
    assert too_many.status_code == 429
    assert too_many.json()["error"].startswith("Too many tasks sent: at most 10 a minute per user.")
    assert int(too_many["Retry-After"]) >= 1
    assert not TaskRecord.objects.exists()

    assert post_bulk(client, {"tasks": echoes(6)}).status_code == 202
    assert post_bulk(client, {"tasks": echoes(5)}).status_code == 429  # 6 + 5 > 10: refused whole
    assert post_bulk(client, {"tasks": echoes(4)}).status_code == 202
    assert TaskRecord.objects.filter(owner=alice).count() == 10
    assert WindowCount.objects.get(key=ratelimit.key(alice, "enqueue")).count == 10
    single = client.post("/api/tasks/", echoes(1)[0], content_type="application/json")
    assert single.status_code == 429


# --- A bulk that cannot fit the budget is refused before its body is read -------------------


@pytest.fixture
def limited(production, settings, one_window, alice):
    """A production user with the default enqueue limit of 60 a minute."""
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 60, "schedule": 0}
    return logged_in(alice), alice


class UnreadBody:
    """A request body that fails the test if anything reads it: the refusal must come first."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_unread(client, declared_bytes: int):
    return client.generic(
        "POST",
        "/api/tasks/bulk/",
        b"",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(declared_bytes),
        **{"wsgi.input": UnreadBody()},
    )


def test_the_advertised_5000_task_bulk_is_refused_unread_and_can_never_be_sent(limited):
    client, _user = limited
    # A 7.3 MiB bulk of 5,000 tasks: no minute of 60 tasks can hold it, so a 413, unread.
    response = post_unread(client, int(7.3 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"].startswith(
        "The body is 7654604 bytes; a bulk request carries at most 60 tasks (the enqueue rate limit a minute"
    )
    assert not WindowCount.objects.exists() and not TaskRecord.objects.exists()


def test_a_body_larger_than_what_is_left_of_the_minute_is_a_429_unread(limited, settings):
    client, user = limited
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 1000, "schedule": 0}  # a minute's bulk may take 1.6 MB
    ratelimit.take(user, "enqueue", cost=999)
    # One task left: a body up to 256 KiB may still come (as on any endpoint); 300 KiB cannot, this minute.
    response = post_unread(client, 300 * 1024)
    assert response.status_code == 429
    assert "1 is left in this minute, which a body of at most 262144 bytes carries" in response.json()["error"]
    assert int(response["Retry-After"]) >= 1
    assert post_bulk(client, {"tasks": echoes(1)}).status_code == 202
    # Nothing left: even a small body is refused unread.
    assert post_unread(client, 100).status_code == 429
    assert WindowCount.objects.get(key=ratelimit.key(user, "enqueue")).count == 1000


def test_more_tasks_than_are_left_are_refused_before_they_are_validated(limited):
    client, _user = limited
    assert post_bulk(client, {"tasks": echoes(50)}).status_code == 202
    # Eleven tasks of which the last is invalid: the count is refused first (429, not the 400).
    response = post_bulk(client, {"tasks": [*echoes(10), {"task": "no-such-task"}]})
    assert response.status_code == 429
    assert "This request needs 11; 10 are left in this minute." in response.json()["error"]


def test_the_most_a_limited_user_may_send_in_one_bulk_is_sent_whole(limited):
    client, user = limited
    # 60 tasks padded to the body the rate limit allows them (about 1.6 KiB each past 256 KiB: 60
    # tasks fit in the 256 KiB floor, so pad them up to it).
    response = post_bulk(client, {"tasks": echoes(60, pad=4000)})
    assert response.status_code == 202, response.content[:300]
    assert TaskRecord.objects.filter(owner=user).count() == 60


def test_the_api_page_and_the_openapi_document_state_the_limit_that_governs(limited, settings):
    from tasks_app.api import openapi, openapi_schemas

    client, _user = limited
    page = client.get("/api/").content.decode()
    assert "at most 60\ntasks (<code>RATE_LIMIT_ENQUEUE_PER_MINUTE" in page
    assert "and 256 KiB" in page
    bulk = openapi.paths()["/api/tasks/bulk/"]["post"]
    assert bulk["summary"].startswith("Send up to 60 tasks at once (RATE_LIMIT_ENQUEUE_PER_MINUTE")
    assert openapi_schemas.components()["BulkCreate"]["properties"]["tasks"]["maxItems"] == 60
    # Where no rate limit applies, API_BULK_MAX_TASKS governs, and every page says so.
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 0, "schedule": 0}
    assert openapi_schemas.components()["BulkCreate"]["properties"]["tasks"]["maxItems"] == 5000
    page = client.get("/api/").content.decode()
    assert "at most 5000\ntasks (<code>API_BULK_MAX_TASKS</code>) and 8192 KiB" in page
