"""What `make run` does, done for real: honcho runs Procfile.real (gunicorn, a worker, beat)
on embedded defaults, a task posted over HTTP succeeds, beat sends a periodic task, Ctrl-C
stops every process with exit status 0 (so make reports no error), and a second Ctrl-C stops
everything at once, even with a task running, with exit status 0 too."""

import signal
import time

import pytest

from tests.support import processes
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_one_dyno_mode_on_embedded_defaults_runs_tasks_and_stops_on_ctrl_c(tmp_path):
    env = processes.site_env(tmp_path)  # local mode, no broker or database variables
    processes.manage(env, "migrate", "--noinput")
    processes.schedule(env, "echo", ["tick"], "every 1 second", "tick")
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile.real", [], env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)
        status_code, accepted = processes.http("POST", f"{base}/api/tasks/", {"task": "echo", "args": ["hi"]})
        assert status_code == 202

        def succeeded():
            found = processes.http("GET", base + accepted["url"])[1]
            return found if found["state"] == "SUCCESS" else None

        found = wait_for(succeeded, timeout=30, message="the echo task to succeed")
        assert found["result"] == "hi"
        assert found["worker"].startswith("celery@")  # the real worker's node name
        database_url = f"sqlite:///{tmp_path}/data/db.sqlite3"
        wait_for(lambda: len(processes.periodic_runs(database_url, "tick")) >= 2, message="beat to send twice")
        # Ctrl-C in a terminal signals the foreground process group: honcho.
        running.stop(signal.SIGINT, within=30)
    assert running.popen.returncode == 0, running.log_tail()  # a stop that was asked for is no error
    log = running.log
    for process in ("web", "worker", "beat"):
        assert f"{process}.1 stopped" in log, log
    # REMAP_SIGTERM=SIGQUIT: the worker's soft-then-cold shutdown, which hands back unfinished tasks.
    assert "worker: Cold shutdown" in log
    assert "SIGKILL" not in log, log  # every process stopped on its own


def test_a_second_ctrl_c_stops_everything_at_once_with_a_task_running(tmp_path):
    env = processes.site_env(tmp_path)
    processes.manage(env, "migrate", "--noinput")
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile.real", [], env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)
        status_code, accepted = processes.http("POST", f"{base}/api/tasks/", {"task": "long_task", "args": [60]})
        assert status_code == 202

        def in_progress():
            return processes.http("GET", base + accepted["url"])[1]["state"] == "PROGRESS"

        wait_for(in_progress, timeout=30, message="the long task to run")
        running.signal_all(signal.SIGINT)  # the worker now waits for its task (soft shutdown)
        time.sleep(1)
        assert running.alive()
        # The second Ctrl-C: every process (the worker's pool too, stop() checks) gone within seconds.
        took = running.stop(signal.SIGINT, within=5)
    assert took < 5
    assert "SIGINT received again: stopping every process now" in running.log
    # A stop asked for twice is still one that was asked for: exit 0, or `make run` says "Error 130"
    # and exits 2 (make passes on its recipe's status: 0 is 0, anything else is its own 2).
    assert running.popen.returncode == 0
