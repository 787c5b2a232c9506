"""The command line: `manage.py enqueue`, `task_status`, `retry` and `revoke`, run as a person
runs them (real processes, a released database, a real worker), checked by exit status and output."""

import json
import subprocess
import sys

import pytest

from tasks_app import catalog
from tests.support import processes
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WORKER = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO", "--concurrency", "2"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A released site on the embedded broker and SQLite; fetch_url may reach this machine, and
    gives up at once, so that a failing task is quick to make."""
    tmp_path = tmp_path_factory.mktemp("cli")
    env = processes.site_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        FETCH_URL_ALLOWED_NETWORKS="127.0.0.0/8",
        FETCH_URL_MAX_RETRIES="0",
        REMAP_SIGTERM="SIGQUIT",  # workers start as the Procfile starts them
    )
    processes.release(env)
    return env, tmp_path


def run(env, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["enqueue", "nope"],
            f"task: Unknown task 'nope'; choose one of: {', '.join(sorted(catalog.ENTRIES))}.",
        ),
        (["enqueue", "echo", "--args", "[1"], "args: Args is not valid JSON (Expecting ',' delimiter"),
        (["enqueue", "echo", "--args", "[1, 2]"], "args: These arguments do not fit echo(value): too many"),
        (["enqueue", "echo", "--args", '{"a": 1}'], "args: Args must be a JSON list, such as [1, 2]."),
        (["enqueue", "echo", "--args", "[NaN]"], "args: Args is not valid JSON (NaN is not a number JSON allows"),
        (["enqueue", "long_task", "--kwargs", '{"seconds": 0}'], "kwargs: Argument 'seconds' must be from 1 to 600"),
        (["enqueue", "echo", "--args", "[1]", "--queue", "urgent"], "queue: Unknown queue 'urgent'"),
        (["enqueue", "fetch_url", "--args", '["http://10.0.0.1/"]'], "args: Refused http://10.0.0.1/"),
        (["enqueue", "echo", "--args", "[1]", "--schedule", "sometimes"], "schedule: 'sometimes' is not a schedule."),
        (["enqueue", "echo", "--args", "[1]", "--schedule", "@daily", "--wait"], "--wait waits for one task"),
        (["enqueue", "echo", "--args", "[1]", "--name", "x"], "--name names a periodic task"),
        (["task_status", "no-such-id"], "No task with id 'no-such-id' is known to this site."),
        (["retry", "no-such-id"], "id: No task with id 'no-such-id' is known to this site."),
        (["revoke", "no-such-id"], "id: No task with id 'no-such-id' is known to this site."),
    ],
)
def test_bad_input_exits_non_zero_with_the_forms_message_and_no_traceback(site, args, message):
    env, _ = site
    completed = run(env, *args)
    assert completed.returncode == 1, completed.stdout
    assert completed.stderr.startswith(f"CommandError: {message}"), completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""


def test_schedule_prints_the_periodic_task(site):
    env, _ = site
    completed = run(env, "enqueue", "echo", "--args", '["tick"]', "--schedule", "every 5 minutes", "--name", "ticker")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Scheduled periodic task 'ticker' (id ")
    again = run(env, "enqueue", "echo", "--args", '["tick"]', "--schedule", "every 5 minutes", "--name", "ticker")
    assert again.returncode == 1
    assert again.stderr.startswith("CommandError: name: A periodic task named 'ticker' already exists.")


def test_the_commands_follow_a_task_from_queued_to_its_end(site, tmp_path):
    env, _ = site
    # No worker yet: a queued task, its status, a refused retry, and a revoke that --wait reports.
    queued = run(env, "enqueue", "echo", "--args", '["ü"]')
    assert queued.returncode == 0, queued.stderr
    queued_id = queued.stdout.strip()
    shown = run(env, "task_status", queued_id)
    assert shown.returncode == 0 and json.loads(shown.stdout)["state"] == "QUEUED"
    refused = run(env, "retry", queued_id)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"CommandError: id: Task {queued_id} is QUEUED; only a finished task")

    waiting = subprocess.Popen(
        [sys.executable, "manage.py", "enqueue", "echo", "--args", '["never"]', "--wait", "--timeout", "60"],
        cwd=processes.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    doomed_id = waiting.stdout.readline().strip()  # the id comes first, then the wait
    revoked = run(env, "revoke", doomed_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"{doomed_id} was QUEUED. Revoked: it will not run."
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1
    assert f"CommandError: Task {doomed_id} ended REVOKED" in err
    again = run(env, "revoke", doomed_id)
    assert again.returncode == 1
    assert again.stderr.startswith(f"CommandError: id: Task {doomed_id} is already REVOKED; only a queued or running")

    timed_out = run(env, "enqueue", "echo", "--args", "[1]", "--wait", "--timeout", "0.5")
    assert timed_out.returncode == 1
    assert "is still QUEUED after 0.5 seconds." in timed_out.stderr

    with processes.started(WORKER, env, tmp_path / "worker.log") as worker:
        wait_for(lambda: "ready." in worker.log, timeout=30, message="the worker to be ready")
        done = run(
            env, "enqueue", "echo", "--kwargs", '{"value": {"ключ": [0, "", null]}}', "--wait", "--timeout", "60"
        )
        assert done.returncode == 0, done.stderr
        done_id, body = done.stdout.split("\n", 1)
        assert json.loads(body) == {"ключ": [0, "", None]}  # the id, then the result, as the README says
        assert json.loads(run(env, "task_status", done_id).stdout)["state"] == "SUCCESS"

        retried = run(env, "retry", done_id, "--wait", "--timeout", "60")
        assert retried.returncode == 0, retried.stderr
        retry_id, body = retried.stdout.split("\n", 1)
        assert json.loads(body) == {"ключ": [0, "", None]}
        shown = json.loads(run(env, "task_status", retry_id).stdout)
        assert shown["kwargs"] == {"value": {"ключ": [0, "", None]}} and shown["retry_of"] == done_id

        # A task that fails: a closed port on this machine, no retries in this site.
        failed = run(env, "enqueue", "fetch_url", "--args", f'["http://127.0.0.1:{processes.free_port()}/"]', "--wait")
        assert failed.returncode == 1
        assert (
            failed.stderr.startswith("CommandError: Task ")
            and "ended FAILURE: NetworkError: Could not fetch" in failed.stderr
        )
        assert failed.stdout.strip() == json.loads(run(env, "task_status", failed.stdout.strip()).stdout)["id"]
        worker.stop(within=40)


def test_a_missing_setting_is_one_line_never_a_traceback(tmp_path):
    env = processes.site_env(tmp_path, local=False)  # production, and no SECRET_KEY given
    env.pop("SECRET_KEY", None)
    completed = subprocess.run(
        [sys.executable, "manage.py", "task_status", "x"],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith("manage.py: SECRET_KEY is not set.")
    assert "Traceback" not in completed.stderr
