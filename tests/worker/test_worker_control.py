"""Worker control (tasks_app.services.worker_control) against a real worker process on every broker:
each command changes what the worker itself then reports, and each is recorded with its reply.

One worker per broker for the whole module (prefork, as the Procfile runs it: only a process pool can
grow and shrink), on this test run's queues and broker folders; shutdown comes last and stops it.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Exchange, Queue

from tasks_app.models import WorkerAction
from tasks_app.selectors import workers
from tasks_app.services import worker_control
from tests.support import openapi, processes
from tests.support.celery import purge_queues
from tests.support.users import logged_in
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.broker_bound]


@pytest.fixture(scope="module")
def own_queue(broker, celery_app):
    """A queue only this module's worker consumes: a task it holds, back in the queue after its shutdown,
    reaches no other test's worker. Emptied afterwards (deleted with its exchange on RabbitMQ, which keeps both)."""
    name = f"{os.environ['CELERY_QUEUE_PREFIX']}.control-{uuid.uuid4().hex[:6]}"
    yield name
    purge_queues(celery_app, [name])
    if broker.kind == "rabbitmq":
        with celery_app.connection_for_write() as connection:
            channel = connection.default_channel
            Queue(name, Exchange(name), routing_key=name)(channel).delete()
            Exchange(name)(channel).delete()


@pytest.fixture(scope="module")
def worker(broker, celery_app, tmp_path_factory):
    """The node name of a real worker (one pool process) on the broker under test."""
    tmp_path = tmp_path_factory.mktemp("control")
    extra = {} if broker.url.startswith("filesystem") else {"CELERY_BROKER_URL": broker.url}
    env = processes.site_environ(
        Path(settings.DATA_DIR),
        os.environ["CELERY_QUEUE_PREFIX"],
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        **extra,
    )
    name = f"control-{uuid.uuid4().hex[:6]}@test"
    command = [sys.executable, "-m", "helloworld.worker", "--concurrency", "1", "--hostname", name]
    with processes.started(command, {**env, "REMAP_SIGTERM": "SIGQUIT"}, tmp_path / "worker.log") as process:
        wait_for(lambda: "ready." in process.log, timeout=60, message="the worker to be ready", process=process)
        yield name  # stopped by the last test; should one fail first, `started` kills what is left


def send(worker, action, **arguments):
    return worker_control.send(worker, action, arguments, by="sam")


def test_growing_then_shrinking_the_pool_changes_its_size(worker, db):
    assert workers.detail(worker).pool == 1
    grown = send(worker, "pool_grow", n=2)
    assert (grown.outcome, grown.reply) == ("ok", "pool will grow")
    wait_for(lambda: workers.detail(worker).pool == 3, timeout=10, message="the pool to grow")
    assert send(worker, "pool_shrink", n=2).ok
    assert wait_for(lambda: workers.detail(worker).pool == 1, timeout=10, message="the pool to shrink")
    recorded = WorkerAction.objects.filter(worker=worker).order_by("at").values_list("action", "arguments", "outcome")
    assert list(recorded) == [("pool_grow", {"n": 2}, "ok"), ("pool_shrink", {"n": 2}, "ok")]


def api_post(client, path, body):
    answer = client.post(path, body, content_type="application/json")
    openapi.check("POST", path, answer.status_code, answer["Content-Type"], answer.content)
    return answer


def test_a_rate_limit_set_through_the_api_applies_and_only_staff_may_set_it(worker, production, alice, staff):
    path = f"/api/workers/{worker}/rate_limit/"
    refused = api_post(logged_in(alice), path, {"task": "echo", "rate_limit": "10/m"})
    assert refused.status_code == 403
    assert workers.detail(worker).rate_limits["echo"] is None

    answer = api_post(logged_in(staff), path, {"task": "echo", "rate_limit": "10/m"})
    assert answer.json()["outcome"] == "ok", answer.json()
    assert workers.detail(worker).rate_limits["echo"] == "10/m"
    assert api_post(logged_in(staff), path, {"task": "echo", "rate_limit": "0"}).json()["outcome"] == "ok"
    assert workers.detail(worker).rate_limits["echo"] in (None, "0")
    assert list(WorkerAction.objects.values_list("by", "outcome")) == [("sam", "ok"), ("sam", "ok")]


def test_a_queue_stopped_from_the_page_after_confirming_is_dropped_and_taken_up_again(worker, staff):
    client = logged_in(staff)
    assert "low" in workers.detail(worker).queues
    asked = client.post(f"/workers/{worker}/cancel_consumer/", {"queue": "low"})
    assert b"Stop consuming" in asked.content and not WorkerAction.objects.exists()
    done = client.post(f"/workers/{worker}/cancel_consumer/", {"queue": "low", "confirmed": "yes"}, follow=True)
    assert f"{worker} answered: no longer consuming from {settings.QUEUES['low']}" in done.content.decode()
    wait_for(lambda: "low" not in workers.detail(worker).queues, timeout=10, message="low to be dropped")
    assert client.get(f"/workers/{worker}/").content.count(b"not consumed") == 1

    assert send(worker, "add_consumer", queue="low").ok
    wait_for(lambda: "low" in workers.detail(worker).queues, timeout=10, message="low to be consumed again")


def test_a_task_waiting_for_its_eta_is_listed_as_scheduled_with_a_link(worker, own_queue, celery_app, staff):
    # Celery's own add_consumer, which takes any queue (the site's takes only the site's queues).
    own = Queue(own_queue, Exchange(own_queue), routing_key=own_queue)
    [answer] = celery_app.control.add_consumer(
        own_queue, own_queue, "direct", own_queue, destination=[worker], reply=True, timeout=5
    )
    assert "ok" in answer[worker], answer
    wait_for(lambda: own_queue in workers.detail(worker).queues, timeout=10, message="its own queue consumed")
    sent = celery_app.send_task("tasks_app.tasks.echo", ["later"], countdown=3600, queue=own)
    held = wait_for(lambda: workers.detail(worker).scheduled, timeout=15, message="the task to be scheduled")
    assert [(task.id, task.name) for task in held] == [(sent.id, "tasks_app.tasks.echo")]
    page = logged_in(staff).get(f"/workers/{worker}/").content.decode()
    assert f'href="/tasks/{sent.id}/"' in page


def test_a_worker_that_does_not_exist_is_no_reply_and_recorded(celery_app, db):
    outcome = worker_control.send("nobody@nowhere", "pool_grow", {"n": 1}, by="sam", timeout=0.5)
    assert (outcome.outcome, outcome.reply) == ("no reply", "nobody@nowhere did not answer within 0.5 s.")
    assert WorkerAction.objects.get(worker="nobody@nowhere").outcome == "no reply"


def test_shutdown_stops_the_worker(worker, db):
    stopped = send(worker, "shutdown")
    assert stopped.outcome == "ok", stopped.reply
    assert stopped.reply.startswith("shut down: it no longer answers")
    assert WorkerAction.objects.get(worker=worker, action="shutdown").by == "sam"
