"""The platform deployments, booted for real from the Procfile: each broker variable, each dyno
mode, workers scaled out, and two beats at once."""

import itertools
import re
import signal
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest

from helloworld.transports import REDIS_SCHEME
from tests.support import processes
from tests.support.services import POSTGRESQL, RABBITMQ, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

MODES = {
    # mode: the Procfile processes a formation runs (one dyno each), and extra environment
    "one-dyno": (["web"], {"WEB_MODE": "one-dyno"}),
    "two-dyno": (["web", "workerbeat"], {}),
    "three-dyno": (["web", "worker", "beat"], {}),
}


@pytest.fixture
def postgres_database():
    """A fresh PostgreSQL database for one deployment, dropped afterwards."""
    import psycopg

    url = require(POSTGRESQL)
    name = f"hw_deploy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def broker_url(kind: str) -> str:
    if kind == "redis":
        return require(REDIS).rsplit("/", 1)[0] + "/13"  # a database of its own
    return require(RABBITMQ)


@pytest.mark.parametrize(
    ("mode", "variable", "kind", "database"),
    [
        ("three-dyno", "REDIS_URL", "redis", "postgresql"),
        ("two-dyno", "CLOUDAMQP_URL", "rabbitmq", "sqlite"),
        ("one-dyno", "CELERY_BROKER_URL", "redis", "sqlite"),
        ("three-dyno", "REDISCLOUD_URL", "redis", "sqlite"),
        ("three-dyno", "REDISTOGO_URL", "redis", "sqlite"),
    ],
)
def test_a_deployment_boots_runs_tasks_and_stops_on_sigterm(request, tmp_path, mode, variable, kind, database):
    database_url = (
        request.getfixturevalue("postgres_database") if database == "postgresql" else f"sqlite:///{tmp_path}/db.sqlite3"
    )
    url = broker_url(kind)
    process_names, extra = MODES[mode]
    # Production settings, as on the platform (but plain HTTP to the test's client).
    env = processes.site_env(
        tmp_path,
        local=False,
        DATABASE_URL=database_url,
        SECRET_KEY="deploy-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        **{variable: url},
        **extra,
    )
    processes.release(env)
    processes.schedule(env, "echo", ["tick"], "every 1 second", "tick")
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile", process_names, env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)
        task_id = processes.enqueue(env, "echo", ["deployed"])
        wait_for(lambda: processes.task_state(database_url, task_id) == "SUCCESS", message="the echo task to succeed")
        status_code, health = processes.http("GET", f"{base}/api/health/")
        assert status_code == 200, health
        assert health["broker"] == {"reachable": True}  # anonymous: ok or not, no names
        host = re.sub(r"^\w+://([^@]*@)?", "", url).split("/")[0]
        display = processes.manage(
            env, "shell", "-c", "from django.conf import settings; print(settings.BROKER.display)"
        )
        assert display.strip().splitlines()[-1] == f"{kind} at {host}"
        # The worker names its transport: kombu's amqp, or the site's own Redis one (helloworld/transports/).
        scheme = "amqp" if kind == "rabbitmq" else REDIS_SCHEME
        wait_for(lambda: f"Connected to {scheme}://" in running.log, message=f"the worker to connect to {kind}")
        wait_for(lambda: len(processes.periodic_runs(database_url, "tick")) >= 2, message="beat to send twice")
        wait_for(
            lambda: processes.http("GET", f"{base}/api/health/")[1]["workers"]["alive"], message="a worker in health"
        )
        health = processes.http("GET", f"{base}/api/health/")[1]
        assert health == {
            "status": "ok",
            "broker": {"reachable": True},
            "workers": {"alive": True},
            "beat": {"alive": True},
        }
        took = running.stop(signal.SIGTERM, within=30)
    assert took < 30
    password = urlsplit(url).password
    if password:
        assert f":{password}@" not in running.log  # logs name the broker, never its password


def test_scaled_workers_share_the_queues_and_run_each_task_exactly_once(tmp_path):
    """`heroku ps:scale worker=2`: two worker dynos on one broker."""
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    env = processes.site_env(tmp_path, DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url("redis"))
    processes.release(env)
    command = ["celery", "--app", "helloworld", "worker", "--loglevel", "INFO", "--concurrency", "2"]
    with (
        processes.started([*command, "--hostname", "worker.1@%h"], env, tmp_path / "worker1.log") as one,
        processes.started([*command, "--hostname", "worker.2@%h"], env, tmp_path / "worker2.log") as two,
    ):
        wait_for(lambda: "ready." in one.log and "ready." in two.log, timeout=30, message="both workers")
        processes.manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from tasks_app import services\nfor n in range(200): services.enqueue('echo', [n])",
        )
        succeeded = re.compile(r"Task tasks_app\.tasks\.echo\[([0-9a-f-]+)\] succeeded")

        def all_ran():
            ran = succeeded.findall(one.log) + succeeded.findall(two.log)
            return ran if len(ran) >= 200 else None

        ran = wait_for(all_ran, timeout=60, message="200 tasks to run")
        time.sleep(2)  # a duplicate delivery would show up in the logs by now
        by_one, by_two = succeeded.findall(one.log), succeeded.findall(two.log)
        one.stop()
        two.stop()
    counts = Counter(by_one + by_two)
    assert len(counts) == 200, f"{len(counts)} distinct tasks ran"
    assert max(counts.values()) == 1, [task for task, times in counts.items() if times > 1]
    assert by_one and by_two, "one worker did all the work"
    assert len(ran) == 200


LEADS = "leads: it sends the periodic tasks"


def test_two_beats_send_each_slot_once_and_the_other_takes_over_when_the_leader_dies(tmp_path):
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    # A lease of 6 s instead of 15 keeps the takeover, and the test, short.
    env = processes.site_env(
        tmp_path, DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url("redis"), BEAT_LEASE_SECONDS="6"
    )
    processes.release(env)
    processes.schedule(env, "echo", ["tick"], "every 2 seconds", "tick")
    command = ["celery", "--app", "helloworld", "beat", "--loglevel", "INFO"]
    with (
        processes.started([*command, "--pidfile", str(tmp_path / "a.pid")], env, tmp_path / "a.log") as a,
        processes.started([*command, "--pidfile", str(tmp_path / "b.pid")], env, tmp_path / "b.log") as b,
    ):
        wait_for(lambda: "stands by" in a.log + b.log, timeout=30, message="one beat to stand by")
        started = time.monotonic()
        time.sleep(12)
        sent = [at for _, at in processes.periodic_runs(database_url, "tick") if at >= time.time() - 12]
        # Every 2 s for 12 s: about six sends, never two for one slot.
        assert 5 <= len(sent) <= 7, sent
        gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
        assert min(gaps) > 1.0, gaps

        leader, standby = (a, b) if LEADS in a.log else (b, a)
        assert LEADS not in standby.log and "stands by and sends nothing" in standby.log
        leader.popen.send_signal(signal.SIGKILL)  # a crash: no chance to give the lease up
        leader.kill_leftovers()
        killed_at = time.time()
        wait_for(lambda: LEADS in standby.log, timeout=30, message="the standing-by beat to take over")
        took_over = time.time() - killed_at
        wait_for(
            lambda: [at for _, at in processes.periodic_runs(database_url, "tick") if at > killed_at],
            timeout=10,
            message="a send by the new leader",
        )
        standby.stop()
    # The lease is 6 s; a standing-by beat asks every 2 s.
    assert took_over <= 10, took_over
    assert time.monotonic() - started < 90
