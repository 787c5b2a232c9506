"""A long task cut off by its worker's stop and run again (acks_late) says so: attempt 2, and why.

Real workers started as the Procfile starts them; the first is stopped mid-task past its soft
shutdown (as in test_nothing_lost.py), so that it hands the task back, and a second runs it again.
"""

import json
import signal

import pytest

from tests.support import processes
from tests.support.services import RABBITMQ, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WORKER = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO"]


def site(tmp_path, kind: str) -> tuple[dict, str]:
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    broker = {}  # the embedded broker
    if kind == "redis":
        broker = {"CELERY_BROKER_URL": require(REDIS).rsplit("/", 1)[0] + "/14"}
    elif kind == "rabbitmq":
        broker = {"CELERY_BROKER_URL": require(RABBITMQ)}
    env = processes.site_env(
        tmp_path,
        DATABASE_URL=database_url,
        REMAP_SIGTERM="SIGQUIT",
        CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT="2",
        **broker,
    )
    processes.release(env)
    return env, database_url


def task_json(env: dict, task_id: str) -> dict:
    return json.loads(processes.manage(env, "task_status", task_id))


@pytest.mark.parametrize("kind", ["filesystem", "redis", "rabbitmq"])
def test_a_long_task_cut_off_by_a_stop_runs_again_as_attempt_2_and_says_it_was_interrupted(tmp_path, kind):
    env, database_url = site(tmp_path, kind)
    with processes.started([*WORKER, "--hostname", "cut@%h"], env, tmp_path / "cut.log") as cut:
        wait_for(lambda: "ready." in cut.log, timeout=30, message="the worker to be ready")
        task_id = processes.enqueue(env, "long_task", [8])
        wait_for(lambda: processes.task_state(database_url, task_id) == "PROGRESS", message="the task to run")
        first = task_json(env, task_id)
        assert first["attempts"] is None  # a first run says nothing about attempts
        cut.stop(signal.SIGTERM, within=30)
    assert processes.task_state(database_url, task_id) == "PROGRESS"  # cut off, not finished

    with processes.started([*WORKER, "--hostname", "again@%h"], env, tmp_path / "again.log") as again:

        def running_again():
            found = task_json(env, task_id)
            return found if found["state"] == "PROGRESS" and found["attempts"] else None

        during = wait_for(running_again, timeout=60, message="the task to run again")
        assert during["attempts"]["attempt"] == 2
        assert during["attempts"]["errors"][-1].startswith("Attempt 1 was interrupted: its worker stopped")
        assert "started again from the beginning" in during["attempts"]["errors"][-1]
        wait_for(lambda: processes.task_state(database_url, task_id) == "SUCCESS", timeout=60, message="success")
        again.stop(signal.SIGTERM, within=30)
    done = task_json(env, task_id)
    assert done["attempts"]["attempt"] == 2  # the record keeps what happened
    assert len(done["attempts"]["errors"]) == 1
