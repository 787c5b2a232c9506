"""A django.tasks task's time limit (a Celery option given to @task) in a real prefork worker: only
a prefork pool can kill a run that overstays, the embedded test worker's threads cannot."""

import json

import pytest

from tests.support import processes
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
