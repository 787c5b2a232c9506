"""Celery's own tools beside a real site on every broker: the CLI (`celery call`, `celery result`)
and Flower.

Each broker gets one released site (SQLite in its data directory) and one real worker process,
shared by the tests of this module; every command runs with the site's environment, as a person
would run it in a shell where the site runs.
"""

import json
import re
import signal
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.support import processes
from tests.support.services import RABBITMQ, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

ENABLED = "Events of group {task} enabled by remote"
CELERY = [str(processes.BIN / "celery"), "--app", "helloworld"]


@pytest.fixture(scope="module", params=["filesystem", "redis", "rabbitmq"])
def site(request, tmp_path_factory):
    """(environment, worker process, database URL) of a released site with one worker running."""
    tmp_path = tmp_path_factory.mktemp(f"tools-{request.param}")
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    broker = (
        {}
        if request.param == "filesystem"
        else {"CELERY_BROKER_URL": require(REDIS if request.param == "redis" else RABBITMQ)}
    )
    env = processes.site_env(tmp_path, DATABASE_URL=database_url, **broker)
    processes.release(env)
    # The worker as the Procfile runs it (REMAP_SIGTERM=SIGQUIT): a plain `celery worker`, whose pool
    # processes die of the SIGTERM sent to the whole group, once hung its stop under load.
    name = f"tools-{uuid.uuid4().hex[:6]}@%h"
    worker_command = [sys.executable, "-m", "helloworld.worker", "--concurrency", "2", "--hostname", name]
    env = {**env, "REMAP_SIGTERM": "SIGQUIT"}
    with processes.started(worker_command, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=60, message="the worker to be ready", process=worker)
        yield env, worker, database_url
        worker.stop()


def celery(env, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CELERY, *args], cwd=processes.ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def call_echo(env, value: str) -> str:
    queue = f"{env['CELERY_QUEUE_PREFIX']}.default"
    done = celery(env, "call", "tasks_app.tasks.echo", "--args", json.dumps([value]), "--queue", queue)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    task_id = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", task_id), done.stdout
    return task_id


def test_celery_call_sends_a_task_the_worker_runs_and_celery_result_reads_it(site):
    env, worker, database_url = site
    task_id = call_echo(env, "from the cli")
    wait_for(
        lambda: processes.task_state(database_url, task_id) == "SUCCESS", message="the task to run", process=worker
    )
    shown = celery(env, "result", task_id)
    assert shown.returncode == 0 and shown.stdout.strip() == "from the cli", shown.stdout + shown.stderr
    # The site recorded it when the worker took it (item 10): its queue and JSON arguments.
    rows = processes._query(
        database_url, "SELECT task_name, queue, args FROM tasks_app_taskrecord WHERE task_id = %s", (task_id,)
    )
    assert [(name, queue, json.loads(args)) for name, queue, args in rows] == [
        ("echo", f"{env['CELERY_QUEUE_PREFIX']}.default", ["from the cli"])
    ]


def flower_json(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def test_flower_beside_the_site_lists_the_worker_and_a_finished_task_and_stops_on_sigterm(site, tmp_path):
    env, worker, _database_url = site
    port = processes.free_port()
    flower_env = {**env, "FLOWER_UNAUTHENTICATED_API": "true"}
    command = [*CELERY, "flower", f"--port={port}", "--address=127.0.0.1"]
    enabled_before = worker.log.count(ENABLED)
    with processes.started(command, flower_env, tmp_path / "flower.log") as flower:
        node = re.search(r"(tools-[0-9a-f]{6}@\S+) ready\.", worker.log) or re.search(
            r"(tools-[0-9a-f]{6}@[^\s:]+)", worker.log
        )

        def lists_the_worker():
            try:
                return node.group(1) in flower_json(port, "/api/workers?refresh=1")
            except OSError:
                assert flower.alive(), flower.log[-3000:]
                return False

        wait_for(
            lambda: lists_the_worker(), timeout=60, interval=1, message="Flower to list the worker", process=flower
        )
        # Flower turns the workers' task events on by remote control once it runs (the site starts
        # its workers without -E): a task sent before that is one it never hears of.
        wait_for(lambda: worker.log.count(ENABLED) > enabled_before, timeout=30, message="Flower to enable events")
        task_id = call_echo(env, "seen by flower")

        def finished():
            try:
                return flower_json(port, "/api/tasks").get(task_id, {}).get("state") == "SUCCESS"
            except OSError:
                return False

        wait_for(finished, timeout=60, interval=1, message="Flower to show the task finished", process=flower)
        flower.stop(signal.SIGTERM, within=15)
