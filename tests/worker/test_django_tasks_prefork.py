"""django.tasks tasks in real prefork workers started as the Procfile starts them: a time limit (a
Celery option given to @task; only a prefork pool can kill a run that overstays), and the attempt
number a task's context gives after its worker was killed mid-run and the broker redelivered it."""

import json

import pytest

from tests.support import processes
from tests.support.services import RABBITMQ, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WORKER = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO", "--concurrency", "1"]


def django_shell(env, code: str) -> str:
    out = processes.manage(env, "shell", "--no-imports", "-c", f"from tests.support import djtasks; {code}")
    return out.strip().splitlines()[-1]


def result_of(env, task_id: str) -> dict:
    code = (
        f"import json; r = djtasks.sleeps.get_result({task_id!r}); print(json.dumps({{'status': r.status, "
        "'errors': [e.exception_class_path for e in r.errors], 'value': r._return_value}))"
    )
    return json.loads(django_shell(env, code))


def test_a_run_past_its_time_limit_is_killed_and_fails(tmp_path):
    env = processes.site_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    processes.release(env)
    with processes.started(WORKER, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=30, message="the worker to be ready")
        within = django_shell(env, "print(djtasks.sleeps.enqueue(0.2).id)")
        past = django_shell(env, "print(djtasks.sleeps.enqueue(30).id)")
        wait_for(lambda: result_of(env, past)["status"] == "FAILED", timeout=30, message="the long run to be killed")
        assert result_of(env, past)["errors"] == ["billiard.exceptions.TimeLimitExceeded"]
        assert result_of(env, within) == {"status": "SUCCESSFUL", "errors": [], "value": 0.2}
        assert "Hard time limit (2" in worker.log
        worker.stop(within=40)


def attempts_of(database_url: str, task_id: str) -> list[str]:
    rows = processes._query(
        database_url, "SELECT worker_ids FROM tasks_app_taskattempts WHERE task_id = %s", (task_id,)
    )
    return json.loads(rows[0][0]) if rows else []


# RabbitMQ hands an unacknowledged message back the moment the worker's connection drops; the
# embedded broker at the next worker's start. (Redis only after its visibility timeout, two hours:
# tests/system/test_nothing_lost.py ages its index to show it.)
@pytest.mark.parametrize("kind", ["rabbitmq", "filesystem"])
def test_after_its_worker_is_killed_the_redelivered_run_is_attempt_two(tmp_path, kind):
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    broker = {"CELERY_BROKER_URL": require(RABBITMQ)} if kind == "rabbitmq" else {}
    env = processes.site_env(tmp_path, DATABASE_URL=database_url, REMAP_SIGTERM="SIGQUIT", **broker)
    processes.release(env)
    with processes.started([*WORKER, "--hostname", "killed@%h"], env, tmp_path / "killed.log") as killed:
        wait_for(lambda: "ready." in killed.log, timeout=30, message="the worker to be ready")
        task_id = django_shell(env, "print(djtasks.slow_first_attempt.enqueue().id)")
        wait_for(lambda: attempts_of(database_url, task_id), timeout=30, message="the first attempt to start")
        killed.kill_leftovers()  # SIGKILL to the worker and its pool process: a crash
        killed.popen.wait(timeout=10)
    with processes.started([*WORKER, "--hostname", "after@%h"], env, tmp_path / "after.log") as after:
        code = f"import json; r = djtasks.slow_first_attempt.get_result({task_id!r}); print(json.dumps(r.status))"
        wait_for(lambda: django_shell(env, code) == '"SUCCESSFUL"', timeout=60, message="the second attempt")
        code = (
            f"import json; r = djtasks.slow_first_attempt.get_result({task_id!r}); "
            "print(json.dumps([r.return_value, r.attempts, r.worker_ids]))"
        )
        value, attempts, worker_ids = json.loads(django_shell(env, code))
        after.stop(within=40)
    assert attempts == 2
    assert value["attempt"] == 2
    assert [name.split("@")[0] for name in worker_ids] == ["killed", "after"]
    assert value["worker_ids"] == worker_ids
