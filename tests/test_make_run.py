"""What `make run` does, done for real: honcho runs Procfile.real (gunicorn, a worker, beat)
on embedded defaults, a task posted over HTTP succeeds, beat sends a periodic task, and Ctrl-C
stops every process."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


@pytest.fixture
def site_env(tmp_path):
    """The environment `make run` gives: local mode, no broker or database variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_URL") and key not in {"DJANGO_SETTINGS_MODULE", "HELLOWORLD_DATA_DIR"}
    }
    env.update(HELLOWORLD_LOCAL="1", HELLOWORLD_DATA_DIR=str(tmp_path / "data"), PATH=f"{BIN}:{env['PATH']}")
    return env


def manage(env, *args) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_one_dyno_mode_on_embedded_defaults_runs_tasks_and_stops_on_ctrl_c(site_env, tmp_path):
    manage(site_env, "migrate", "--noinput")
    manage(
        site_env,
        "shell",
        "--no-imports",
        "-c",
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask;"
        "every = IntervalSchedule.objects.create(every=1, period='seconds');"
        "PeriodicTask.objects.create(name='tick', task='tasks_app.tasks.echo', args='[\"tick\"]', interval=every)",
    )
    port = free_port()
    log_path = tmp_path / "honcho.log"
    with open(log_path, "w") as log:
        honcho = subprocess.Popen(
            [sys.executable, "-m", "helloworld.procfile", "--procfile", "Procfile.real", "start", "--port", str(port)],
            cwd=ROOT,
            env=site_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def site_answers():
            try:
                return http("GET", f"{base}/")[0] == 200
            except OSError:
                assert honcho.poll() is None, log_path.read_text()
                return False

        wait_for(site_answers, timeout=60, message="the site to answer")

        status_code, body = http("POST", f"{base}/api/tasks/", {"task": "echo", "args": ["from make run"]})
        assert status_code == 202
        task_url = base + json.loads(body)["url"]

        def task_succeeded():
            found = json.loads(http("GET", task_url)[1])
            return found if found["state"] == "SUCCESS" else None

        found = wait_for(task_succeeded, timeout=30, message="the echo task to succeed")
        assert found["result"] == "from make run"
        assert found["worker"].startswith("celery@")  # the real worker's node name

        def beat_sent_twice():
            out = manage(
                site_env,
                "shell",
                "--no-imports",
                "-c",
                "from django_celery_results.models import TaskResult;"
                "print(TaskResult.objects.filter(periodic_task_name='tick', status='SUCCESS').count())",
            )
            return int(out.strip()) >= 2

        wait_for(beat_sent_twice, timeout=30, interval=1, message="beat to send the periodic task twice")
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(honcho.pid, signal.SIGINT)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            pytest.fail(f"honcho did not stop within 30 s of Ctrl-C:\n{log_path.read_text()}")

    # Nothing honcho started is left behind.
    with pytest.raises(ProcessLookupError):
        os.killpg(honcho.pid, 0)
    log = log_path.read_text()
    for process in ("web", "worker", "beat"):
        assert f"{process}.1 stopped" in log, log
    # REMAP_SIGTERM=SIGQUIT: the worker's soft-then-cold shutdown, which hands back unfinished tasks.
    assert "worker: Cold shutdown" in log
    assert "SIGKILL" not in log, log  # every process stopped on its own
