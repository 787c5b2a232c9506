"""Workers are named after their dyno (`worker.1@host`) where the platform says which dyno they are."""

import pytest

from helloworld import worker
from tests.support import processes
from tests.support.waiting import wait_for


def test_the_dyno_names_the_worker_and_arguments_pass_through():
    assert worker.command("worker.2", [])[-2:] == ["--hostname", "worker.2@%h"]
    argv = worker.command("workerbeat.1", ["--beat", "--scheduler", "x:Y"])
    assert argv[:4] == ["celery", "--app", "helloworld", "worker"]
    assert "--beat" in argv and argv[-1] == "workerbeat.1@%h"


def test_without_a_dyno_celery_keeps_its_own_name():
    assert "--hostname" not in worker.command("", [])


@pytest.mark.slow
def test_the_procfile_worker_appears_on_the_dashboard_under_its_dyno_name(tmp_path):
    env = processes.site_env(tmp_path, DYNO="worker.3", REMAP_SIGTERM="SIGQUIT")
    processes.release(env)
    line = next(line for line in (processes.ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    command = line.split(":", 1)[1].split()[1:]  # after the REMAP_SIGTERM=... assignment, given in env
    with processes.started(command, env, tmp_path / "worker.log") as running:
        wait_for(lambda: "ready." in running.log, timeout=60, message="the worker to be ready")
        listing = "from tasks_app.broker import workers; print([w.name for w in workers.refresh()])"
        names = processes.manage(env, "shell", "--no-imports", "-c", listing)
        assert "'worker.3@" in names, running.log[-3000:]
        running.stop()
