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

from tasks_app.models import WorkerAction
from tasks_app.selectors import workers
from tasks_app.services import worker_control
from tests.support import processes
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.broker_bound]


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


def test_a_rate_limit_applies_and_is_reported(worker, db):
    assert workers.detail(worker).rate_limits["echo"] is None
    set_limit = send(worker, "rate_limit", task="echo", rate_limit="10/m")
    assert set_limit.ok, set_limit.reply
    assert workers.detail(worker).rate_limits["echo"] == "10/m"
    assert send(worker, "rate_limit", task="echo", rate_limit="0").ok
    assert workers.detail(worker).rate_limits["echo"] in (None, "0")


def test_consuming_from_a_queue_is_stopped_and_started_again(worker, db):
    assert "low" in workers.detail(worker).queues
    stopped = send(worker, "cancel_consumer", queue="low")
    assert stopped.ok, stopped.reply
    wait_for(lambda: "low" not in workers.detail(worker).queues, timeout=10, message="low to be dropped")
    assert send(worker, "add_consumer", queue="low").ok
    wait_for(lambda: "low" in workers.detail(worker).queues, timeout=10, message="low to be consumed again")


def test_a_worker_that_does_not_exist_is_no_reply_and_recorded(celery_app, db):
    outcome = worker_control.send("nobody@nowhere", "pool_grow", {"n": 1}, by="sam", timeout=0.5)
    assert (outcome.outcome, outcome.reply) == ("no reply", "nobody@nowhere did not answer within 0.5 s.")
    assert WorkerAction.objects.get(worker="nobody@nowhere").outcome == "no reply"


def test_shutdown_stops_the_worker(worker, db):
    stopped = send(worker, "shutdown")
    assert stopped.outcome in ("ok", "no reply"), stopped.reply
    wait_for(lambda: not workers.detail(worker, timeout=0.5).answered, timeout=30, message="the worker to stop")
    assert WorkerAction.objects.get(worker=worker, action="shutdown").by == "sam"
