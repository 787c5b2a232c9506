"""Nothing accepted is lost: real workers killed or stopped mid-task, and results kept only as
long as the retention says. (Broker and database outages: test_outages.py.)

What each broker does with a task a worker held but never acknowledged (acks_late):
- RabbitMQ requeues it the moment the worker's connection closes, SIGKILL or not.
- Redis (kombu's ack emulation) requeues it at once on a clean stop (SIGTERM: the worker
  restores its unacked messages as it closes), but after SIGKILL only when a consumer sweeps
  the `unacked` index and finds it older than the transport's `visibility_timeout` (2 hours
  here). The SIGKILL test ages the entry in the index instead of waiting two hours.
- The filesystem broker (local mode) restores them on a clean stop as Redis does, and after SIGKILL
  a consumer's next sweep puts back what the dead process had claimed (helloworld/transports/claims.py),
  at the next worker's start at the latest.
"""

import re
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_results.models import TaskResult

from helloworld import brokers
from helloworld.celery import app as project_app
from tasks_app.models import TaskRecord
from tasks_app.worker import results_backend
from tests.support import processes
from tests.support.services import RABBITMQ, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WORKER = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO"]
KINDS = ["rabbitmq", "redis", "filesystem"]


def broker_url(kind: str) -> str:
    if kind == "redis":
        return require(REDIS).rsplit("/", 1)[0] + "/12"  # a database of its own
    return require(RABBITMQ)


def site(tmp_path, kind: str) -> tuple[dict, str]:
    """A released site on the broker, its workers started exactly as the Procfile's `worker`."""
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    # No broker URL: the embedded broker, in the site's data directory.
    broker = {} if kind == "filesystem" else {"CELERY_BROKER_URL": broker_url(kind)}
    env = processes.site_env(tmp_path, DATABASE_URL=database_url, REMAP_SIGTERM="SIGQUIT", **broker)
    processes.release(env)
    return env, database_url


def ready(worker: processes.Process) -> None:
    wait_for(lambda: "ready." in worker.log, timeout=30, message="the worker to be ready")


def successes(log: str, task: str) -> list[str]:
    return re.findall(rf"Task tasks_app\.tasks\.{task}\[([0-9a-f-]+)\] succeeded", log)


def age_unacked(url: str, task_id: str) -> int:
    """Make the Redis transport's record of `task_id` (delivered, never acknowledged) look older
    than the visibility timeout, as it would two hours later; returns how many entries were aged."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        aged = 0
        for tag, payload in client.hgetall("unacked").items():
            if task_id.encode() in payload:
                client.zadd("unacked_index", {tag: time.time() - brokers.REDIS_VISIBILITY_TIMEOUT - 60})
                aged += 1
        return aged
    finally:
        client.close()


# --- 1. SIGKILL in the middle of a task ------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_task_whose_worker_is_killed_runs_again_to_success_exactly_once(tmp_path, kind):
    env, database_url = site(tmp_path, kind)
    with processes.started([*WORKER, "--hostname", "killed@%h"], env, tmp_path / "killed.log") as killed:
        ready(killed)
        task_id = processes.enqueue(env, "long_task", [6])
        wait_for(
            lambda: processes.task_state(database_url, task_id) == "PROGRESS",
            message="the long task to report progress",
        )
        killed.kill_leftovers()  # SIGKILL to the worker and every pool process: a crash
        killed.popen.wait(timeout=10)
        assert not killed.leftovers()
    assert processes.task_state(database_url, task_id) == "PROGRESS"  # nobody told the database
    assert not successes(killed.log, "long_task")
    if kind == "redis":
        # A new worker does not get it back: it stays in kombu's `unacked` hash until it is
        # older than the 2 h visibility timeout. Then (aged here) the next worker's start restores it.
        with processes.started([*WORKER, "--hostname", "early@%h"], env, tmp_path / "early.log") as early:
            ready(early)
            time.sleep(3)
            assert processes.task_state(database_url, task_id) == "PROGRESS"
            early.stop(signal.SIGTERM, within=30)
        assert not successes(early.log, "long_task")
        assert age_unacked(broker_url(kind), task_id) == 1
    started_at = time.monotonic()
    with processes.started([*WORKER, "--hostname", "after@%h"], env, tmp_path / "after.log") as after:
        wait_for(
            lambda: processes.task_state(database_url, task_id) == "SUCCESS",
            timeout=60,
            message="the task to run again to success",
        )
        recovered_in = time.monotonic() - started_at
        time.sleep(2)  # a second delivery would show by now
        after.stop(signal.SIGTERM, within=30)
    ran = Counter(successes(killed.log, "long_task") + successes(after.log, "long_task"))
    assert ran == {task_id: 1}
    assert processes.task_state(database_url, task_id) == "SUCCESS"
    print(f"{kind}: redelivered and finished {recovered_in:.1f} s after the new worker started")


# --- 2. SIGTERM (the platform's stop) in the middle of tasks ---------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_stopped_mid_task_exits_in_time_and_every_task_it_held_completes(tmp_path, kind):
    env, database_url = site(tmp_path, kind)
    with processes.started([*WORKER, "--hostname", "stopped@%h"], env, tmp_path / "stopped.log") as stopped:
        ready(stopped)
        sent = processes.manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from tasks_app import services\n"
            "ids = [services.enqueue('long_task', [3]).task_id for _ in range(2)]\n"
            "ids += [services.enqueue('echo', [n]).task_id for n in range(5)]\n"
            "print(' '.join(ids))",
        )
        ids = sent.strip().splitlines()[-1].split()
        long_ids, echo_ids = ids[:2], ids[2:]
        wait_for(
            lambda: all(processes.task_state(database_url, i) == "PROGRESS" for i in long_ids),
            message="both long tasks to run",
        )
        took = stopped.stop(signal.SIGTERM, within=30)  # the whole group, as the platform does
    assert took < 30
    print(f"{kind}: the worker stopped {took:.1f} s after SIGTERM")
    with processes.started([*WORKER, "--hostname", "next@%h"], env, tmp_path / "next.log") as after:
        wait_for(
            lambda: all(processes.task_state(database_url, i) == "SUCCESS" for i in ids),
            timeout=60,
            message="every task to succeed",
        )
        time.sleep(1)
        after.stop(signal.SIGTERM, within=30)
    ran = Counter(
        successes(stopped.log, "long_task")
        + successes(after.log, "long_task")
        + successes(stopped.log, "echo")
        + successes(after.log, "echo")
    )
    assert ran == dict.fromkeys(ids, 1), ran
    print(
        f"{kind}: finished before the stop {successes(stopped.log, 'long_task')} long, "
        f"{len(successes(stopped.log, 'echo'))} echo; after: {len(successes(after.log, 'long_task'))} long, "
        f"{len(successes(after.log, 'echo'))} echo (of {len(long_ids)} long, {len(echo_ids)} echo)"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_task_still_running_when_the_soft_shutdown_ends_is_handed_back_and_runs_again(tmp_path, kind):
    """Past the soft shutdown (15 s on the platform, 3 s here to keep the suite short) the worker
    cancels the task; acks_late hands it back."""
    env, database_url = site(tmp_path, kind)
    env["CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT"] = "3"
    with processes.started([*WORKER, "--hostname", "cut@%h"], env, tmp_path / "cut.log") as cut:
        ready(cut)
        task_id = processes.enqueue(env, "long_task", [6])
        wait_for(lambda: processes.task_state(database_url, task_id) == "PROGRESS", message="the task to run")
        took = cut.stop(signal.SIGTERM, within=30)
    assert took < 30
    assert not successes(cut.log, "long_task")
    with processes.started([*WORKER, "--hostname", "again@%h"], env, tmp_path / "again.log") as again:
        wait_for(
            lambda: processes.task_state(database_url, task_id) == "SUCCESS",
            timeout=60,
            message="the cancelled task to run again to success",
        )
        again.stop(signal.SIGTERM, within=30)
    assert Counter(successes(again.log, "long_task")) == {task_id: 1}
    print(f"{kind}: stopped {took:.1f} s after SIGTERM, the cut task ran again to success")


# --- 3. Result retention ----------------------------------------------------------------------


def test_results_are_kept_a_week_by_default():
    assert settings.CELERY_RESULT_EXPIRES == 7 * 24 * 60 * 60
    assert project_app.backend.expires == 7 * 24 * 60 * 60  # what backend_cleanup deletes by


def test_backend_cleanup_deletes_results_older_than_the_retention_and_keeps_the_rest(db, monkeypatch):
    monkeypatch.setattr(results_backend, "CLEANUP_BATCH", 2)  # three expired rows: two batches
    now = timezone.now()
    ages = {"old": timedelta(days=8), "older": timedelta(days=9), "oldest": timedelta(days=30)}
    for name, age in {**ages, "recent": timedelta(days=6), "new": timedelta(0)}.items():
        TaskResult.objects.create(task_id=name, status="SUCCESS", date_done=now)
        TaskResult.objects.filter(task_id=name).update(date_done=now - age)  # date_done is auto_now
        record = TaskRecord.objects.create(
            task_id=name, task_name="echo", args=[name], queue=settings.QUEUES["default"]
        )
        TaskRecord.objects.filter(pk=record.pk).update(created_at=now - age)  # created_at is auto_now_add
    with CaptureQueriesContext(connection) as queries:
        project_app.tasks["celery.backend_cleanup"].apply().get()
    table = TaskResult._meta.db_table
    deletes = [query["sql"] for query in queries if query["sql"].startswith(f'DELETE FROM "{table}"')]
    assert len(deletes) == 2, deletes  # in batches, never one statement over the whole table
    # Among this test's rows: a task of an earlier test may still report while this one runs.
    ours = [*ages, "recent", "new"]
    assert sorted(TaskResult.objects.filter(task_id__in=ours).values_list("task_id", flat=True)) == ["new", "recent"]
    # The site's own records go with them: an expired task is unknown, never "queued" for ever.
    assert sorted(TaskRecord.objects.filter(task_id__in=ours).values_list("task_id", flat=True)) == ["new", "recent"]


def test_beat_schedules_the_cleanup_when_results_expire(transactional_db):
    """django-celery-beat's scheduler writes the cleanup as a periodic task row at start."""
    from django_celery_beat.models import PeriodicTask

    from tasks_app.beat.scheduler import DatabaseScheduler

    DatabaseScheduler(app=project_app, lazy=True).install_default_entries({})
    cleanup = PeriodicTask.objects.get(name="celery.backend_cleanup")
    assert cleanup.task == "celery.backend_cleanup"
    assert (cleanup.crontab.minute, cleanup.crontab.hour) == ("0", "4")
