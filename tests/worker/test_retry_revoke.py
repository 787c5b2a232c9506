"""Retry and revoke, through the API and the pages, with real brokers and real workers.

- A retry sends exactly the JSON the original was sent with (unicode, nesting, falsy values),
  to the same queue, as a new task linked to the old one.
- A task revoked while no worker is up never runs when a worker starts (its side effect, a
  request to a local server, never happens), and stays REVOKED.
- `--terminate` kills a running task in a real prefork worker started as the Procfile starts it
  (REMAP_SIGTERM=SIGQUIT) with the signal the site sends (SIGKILL); Celery's default, SIGTERM, is
  shown to leave the task running there.
"""

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.signals import task_revoked
from django.conf import settings
from django.test import Client
from django_celery_results.models import TaskResult

from helloworld import brokers
from tasks_app import ratelimit
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.states import QUEUED
from tests.support import processes
from tests.support.celery import app_on_broker, embedded_worker, purge_queues
from tests.support.services import RABBITMQ, REDIS, require
from tests.support.users import logged_in
from tests.support.waiting import wait_for

NOWHERE = "amqp://guest:guest@127.0.0.1:1//"

# Every JSON shape that a repr or a lossy round trip would bend: unicode (also in keys), nesting,
# and every falsy value (0, 0.0, "", false, null, [], {}), which "or default" code loses.
VALUE = {
    "ünïcødé ключ": '日本語 — 🎉 "quoted" \\ back\nslash',
    "nested": {"list": [[], {}, [0, [False, None, [{"deep": [["x"]]}]]]]},
    "falsy": [0, 0.0, "", False, None, [], {}],
    "numbers": [-1, 2**53 + 1, 1.5, -0.25, 1e-7],
    "empty_key": {"": ""},
}


def exact(value) -> str:
    """JSON text that tells 0 from 0.0 from false (which == does not); keys sorted, since
    PostgreSQL's jsonb keeps no key order."""
    return json.dumps(value, sort_keys=True)


def wait_state(task_id: str, states, timeout=30) -> str:
    def reached():
        row = TaskResult.objects.filter(task_id=task_id).values_list("status", flat=True).first()
        return row if row in states else None

    return wait_for(reached, timeout=timeout, message=f"task {task_id} to reach {states}")


@pytest.fixture
def no_worker(tmp_path, transactional_db):
    """A broker of the test's own that no worker consumes: what it sends stays there, and the
    revokes it broadcasts reach no worker (not even the session's, which would answer by reading
    the result table from a thread whose connection nobody closes)."""
    broker = brokers.filesystem(tmp_path)
    with app_on_broker(broker.url, broker.transport_options) as app:
        yield app


def queued_record(owner=None) -> str:
    """A task the site recorded and no worker will ever take (it is on no broker): QUEUED for good."""
    task_id = str(uuid.uuid4())
    queue = settings.QUEUES["default"]
    TaskRecord.objects.create(task_id=task_id, task_name="echo", args=[1], queue=queue, owner=owner)
    return task_id


def finished_record(owner=None, state="SUCCESS") -> str:
    task_id = queued_record(owner)
    TaskResult.objects.create(task_id=task_id, status=state)
    return task_id


# --- Retry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)
def test_a_retry_sends_the_exact_args_kwargs_and_queue_again_as_a_linked_task(client, celery_worker):
    sent = {"task": "echo", "args": [VALUE], "queue": "high"}
    by_kwargs = {"task": "echo", "kwargs": {"value": VALUE}, "queue": "low"}
    for body in (sent, by_kwargs):
        original = client.post("/api/tasks/", body, content_type="application/json").json()["id"]
        wait_state(original, {"SUCCESS"})

        response = client.post(f"/api/tasks/{original}/retry/", {}, content_type="application/json")
        assert response.status_code == 202, response.content
        again = response.json()
        assert again["retry_of"] == original and again["id"] != original
        assert wait_state(again["id"], {"SUCCESS", "FAILURE"}) == "SUCCESS"

        record = TaskRecord.objects.get(task_id=again["id"])
        assert exact(record.args) == exact(body.get("args", []))
        assert exact(record.kwargs) == exact(body.get("kwargs", {}))
        assert record.queue == settings.QUEUES[body["queue"]]
        assert record.retry_of_id == original
        # What the worker ran with: echo hands back exactly what it was given.
        found = status.get(again["id"])
        assert exact(found.result) == exact(VALUE)
        assert found.retry_of == original
        assert client.get(f"/api/tasks/{again['id']}/").json()["retry_of"] == original
        listed = client.get(f"/api/tasks/?id={again['id']}").json()["results"]
        assert [item["retry_of"] for item in listed] == [original]


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_a_retry_from_the_page_asks_first_then_sends_and_shows_the_link(client, celery_worker):
    sent = client.post("/api/tasks/", {"task": "echo", "args": ["again"]}, content_type="application/json")
    original = sent.json()["id"]
    wait_state(original, {"SUCCESS"})
    status_page = client.get(f"/tasks/{original}/").content.decode()
    assert f'data-field="retry-link" href="/tasks/{original}/retry/">' in status_page  # shown, not hidden
    confirm = client.get(f"/tasks/{original}/retry/")
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.content.decode()
    assert TaskRecord.objects.count() == 1  # asking changed nothing
    response = client.post(f"/tasks/{original}/retry/")
    again = TaskRecord.objects.get(retry_of_id=original)
    assert response.status_code == 302 and response["Location"] == f"/tasks/{again.task_id}/"
    page = client.get(response["Location"]).content.decode()
    assert f'href="/tasks/{original}/"' in page and "Retry of" in page


def test_only_finished_tasks_can_be_retried_and_unknown_ids_are_404(client, no_worker):
    queued = queued_record()
    response = client.post(f"/api/tasks/{queued}/retry/", {}, content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "error": f"Task {queued} is QUEUED; only a finished task (SUCCESS, FAILURE or REVOKED) can be retried.",
        "field": "id",
    }
    assert client.get(f"/tasks/{queued}/retry/").status_code == 409
    assert client.post(f"/tasks/{queued}/retry/").status_code == 302  # back to the status page, with the message
    assert TaskRecord.objects.count() == 1
    missing = client.post("/api/tasks/no-such-task/retry/", {}, content_type="application/json")
    assert missing.status_code == 404
    assert missing.json() == {"error": "No task with id 'no-such-task' is known to this site.", "field": "id"}
    assert client.post("/tasks/no-such-task/retry/").status_code == 404
    elsewhere = client.post(f"/api/tasks/{queued}/retry/", {"queue": "high"}, content_type="application/json")
    assert elsewhere.status_code == 400
    assert client.get(f"/api/tasks/{queued}/retry/").status_code == 405


# --- Revoke ----------------------------------------------------------------------------------


def test_revoking_a_queued_task_asks_first_and_then_marks_it_revoked(client, no_worker):
    queued = queued_record()
    page = client.get(f"/tasks/{queued}/").content.decode()
    assert f'data-field="revoke-link" href="/tasks/{queued}/revoke/">' in page  # shown, not hidden
    confirm = client.get(f"/tasks/{queued}/revoke/").content.decode()
    assert "Revoke echo?" in confirm and 'name="terminate"' not in confirm  # not running: nothing to terminate
    assert status.get(queued).state == QUEUED
    response = client.post(f"/tasks/{queued}/revoke/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{queued}/"
    assert status.get(queued).state == "REVOKED"
    assert "Revoked: it will not run." in client.get(response["Location"]).content.decode()
    again = client.post(f"/api/tasks/{queued}/revoke/", {"terminate": False}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"] == f"Task {queued} is already REVOKED; only a queued or running task can be revoked."
    bad = client.post(f"/api/tasks/{queued}/revoke/", {"terminate": "yes"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json() == {"error": "'terminate' must be true or false.", "field": "terminate"}
    unknown = client.post(f"/api/tasks/{queued}/revoke/", {"signal": "SIGKILL"}, content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["field"] == "signal"
    # A revoked task can be run again: the retry is a new task.
    assert client.post(f"/api/tasks/{queued}/retry/", {}, content_type="application/json").status_code == 202


def test_a_revocation_holds_when_the_broker_is_down(client, transactional_db):
    queued = queued_record()
    started = time.monotonic()
    with app_on_broker(NOWHERE):
        response = client.post(f"/api/tasks/{queued}/revoke/", {}, content_type="application/json")
    assert time.monotonic() - started < 15
    assert response.status_code == 200
    assert response.json()["workers_told"] is False
    assert status.get(queued).state == "REVOKED"  # the durable part: no worker will run it


class RecordingServer:
    """A local HTTP server that counts the requests it gets: the side effect of fetch_url."""

    def __init__(self):
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ran")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recording_server(settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the test's own server, on loopback
    server = RecordingServer()
    yield server
    server.close()


def test_a_task_revoked_while_no_worker_is_up_never_runs_when_one_starts(
    tmp_path, client, recording_server, transactional_db
):
    broker = brokers.filesystem(tmp_path)  # folders of this test's own: no other worker reads them
    discarded = []

    def on_revoked(request=None, **kwargs):
        discarded.append(request.id)

    with app_on_broker(broker.url, broker.transport_options) as app:
        purge_queues(app)
        doomed = client.post(
            "/api/tasks/",
            {"task": "fetch_url", "args": [f"{recording_server.url}/doomed"]},
            content_type="application/json",
        )
        doomed = doomed.json()["id"]
        # No worker hears this broadcast.
        response = client.post(f"/api/tasks/{doomed}/revoke/", {}, content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json()["previous_state"] == QUEUED
        assert status.get(doomed).state == "REVOKED"
        control = client.post(
            "/api/tasks/",
            {"task": "fetch_url", "args": [f"{recording_server.url}/control"]},
            content_type="application/json",
        )
        control = control.json()["id"]

        task_revoked.connect(on_revoked, weak=False)
        try:
            with embedded_worker(app):  # a worker that never heard of the revocation
                wait_state(control, {"SUCCESS", "FAILURE"})
                wait_for(lambda: doomed in discarded, timeout=20, message="the worker to discard the revoked task")
        finally:
            task_revoked.disconnect(on_revoked)
        assert purge_queues(app) == 0  # the revoked message was consumed (acknowledged), not left behind

    # The body never ran: the server saw only the control task, which shows it would have.
    assert recording_server.paths == ["/control"]
    assert status.get(control).state == "SUCCESS"
    assert status.get(doomed).state == "REVOKED"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_a_task_revoked_while_no_worker_is_up_never_runs_in_a_worker_process_started_later(
    kind, tmp_path, recording_server
):
    """The same on the real brokers, with the CLI and a real worker process (queues of its own)."""
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    url = require(REDIS).rsplit("/", 1)[0] + "/13" if kind == "redis" else require(RABBITMQ)
    env = processes.site_env(
        tmp_path, DATABASE_URL=database_url, CELERY_BROKER_URL=url, FETCH_URL_ALLOWED_NETWORKS="127.0.0.0/8"
    )
    processes.release(env)
    doomed = processes.manage(env, "enqueue", "fetch_url", "--args", json.dumps([f"{recording_server.url}/doomed"]))
    doomed = doomed.strip()
    assert processes.manage(env, "revoke", doomed).strip() == f"{doomed} was QUEUED. Revoked: it will not run."
    revoked_row = "SELECT status, worker, result, date_done FROM django_celery_results_taskresult WHERE task_id = %s"
    first = processes._query(database_url, revoked_row, (doomed,))
    control = processes.manage(env, "enqueue", "fetch_url", "--args", json.dumps([f"{recording_server.url}/control"]))
    control = control.strip()
    with processes.started(WORKER, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: processes.task_state(database_url, control) == "SUCCESS", timeout=40, message="control")
        wait_for(lambda: f"Discarding revoked task: tasks_app.tasks.fetch_url[{doomed}]" in worker.log, timeout=20)
        worker.stop(within=40)
    assert recording_server.paths == ["/control"]
    assert processes.task_state(database_url, doomed) == "REVOKED"
    # The worker's discard wrote nothing over the revoke's record: no worker, its reason, its time.
    assert processes._query(database_url, revoked_row, (doomed,)) == first
    assert first[0][1] is None and "revoked on request" in first[0][2]


# --- Who may ---------------------------------------------------------------------------------


@pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 2, "schedule": 0})
def test_only_the_owner_and_staff_may_retry_or_revoke_and_retries_count_against_the_rate_limit(
    production, no_worker, one_window, alice, bob, staff
):
    clients = {"alice": logged_in(alice), "bob": logged_in(bob), "sam": logged_in(staff)}
    queued, done = queued_record(owner=alice), finished_record(owner=alice)
    for _ in range(2):
        ratelimit.take(alice, "enqueue")  # as two sends in this minute would

    for path in (f"/api/tasks/{done}/retry/", f"/api/tasks/{queued}/revoke/"):
        response = clients["bob"].post(path, {}, content_type="application/json")
        assert response.status_code == 404  # the same answer as an id that does not exist
        assert response.json()["field"] == "id"
    assert clients["bob"].get(f"/tasks/{done}/retry/").status_code == 404
    assert clients["bob"].post(f"/tasks/{queued}/revoke/").status_code == 404
    assert status.get(queued).state == QUEUED

    limited = clients["alice"].post(f"/api/tasks/{done}/retry/", {}, content_type="application/json")
    assert limited.status_code == 429 and "Retry-After" in limited
    assert clients["sam"].post(f"/api/tasks/{done}/retry/", {}, content_type="application/json").status_code == 202
    assert clients["alice"].post(f"/api/tasks/{queued}/revoke/", {}, content_type="application/json").status_code == 200
    assert Client().post(f"/api/tasks/{done}/retry/").status_code == 401


# --- Terminate, in a real prefork worker ------------------------------------------------------

WORKER = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO", "--concurrency", "1"]


def progress_of(database_url: str, task_id: str) -> str | None:
    rows = processes._query(
        database_url, "SELECT result FROM django_celery_results_taskresult WHERE task_id = %s", (task_id,)
    )
    return rows[0][0] if rows else None


@pytest.mark.slow
@pytest.mark.parametrize(
    "signal_name, terminates",
    [
        ("SIGKILL", True),  # the site's setting (settings.TASK_TERMINATE_SIGNAL)
        ("SIGTERM", False),  # Celery's default: under REMAP_SIGTERM=SIGQUIT pool processes ignore it
        ("SIGQUIT", True),  # works too, but its default action may also write a core file
    ],
)
def test_terminate_kills_a_running_task_in_a_prefork_worker_started_as_the_procfile_does(
    tmp_path, signal_name, terminates
):
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    broker_url = require(REDIS).rsplit("/", 1)[0] + "/11"
    env = processes.site_env(
        tmp_path,
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        REMAP_SIGTERM="SIGQUIT",
        TASK_TERMINATE_SIGNAL=signal_name,
    )
    processes.release(env)
    with processes.started(WORKER, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=30, message="the worker to be ready")
        task_id = processes.enqueue(env, "long_task", [20])
        wait_for(lambda: processes.task_state(database_url, task_id) == "PROGRESS", timeout=30, message="progress")

        revoke = subprocess.run(
            [sys.executable, "manage.py", "revoke", task_id, "--terminate"],
            cwd=processes.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert revoke.returncode == 0, revoke.stderr
        assert revoke.stdout.strip() == f"{task_id} was PROGRESS. Revoked and terminated."

        if terminates:
            wait_for(lambda: f"Terminating {task_id}" in worker.log, timeout=15, message="the worker to terminate it")
            before = progress_of(database_url, task_id)
            # One pool process: the echo runs only if the long task no longer holds it. By then a
            # live long_task would have reported progress several times (four a second).
            echo_id = processes.enqueue(env, "echo", ["after"])
            wait_for(lambda: processes.task_state(database_url, echo_id) == "SUCCESS", timeout=30, message="echo")
            assert processes.task_state(database_url, task_id) == "REVOKED"
            assert progress_of(database_url, task_id) == before
            assert not re.search(rf"long_task\[{task_id}\] succeeded", worker.log)
        else:
            # The pool process shrugs the signal off: the task runs to its end, and its success
            # replaces the REVOKED that the terminate request wrote (a late PROGRESS may not).
            wait_for(
                lambda: re.search(rf"long_task\[{task_id}\] succeeded", worker.log),
                timeout=40,
                message="the task, not terminated, to run to its end",
            )
            wait_for(lambda: processes.task_state(database_url, task_id) == "SUCCESS", timeout=10, message="SUCCESS")
        worker.stop(within=40)
