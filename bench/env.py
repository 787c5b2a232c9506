"""The benchmarks' surroundings: the machine's real services, a database and queues of their own,
the site configured in this process, and the site's real processes (web server, workers, beat).

Other people run test suites on the same Redis and RabbitMQ, so everything here carries a prefix
of its own (`bench<pid>`), uses Redis database 14 (the tests use 15, developers 0), and is
removed afterwards.

Starting processes, their environment, waiting, emptying queues and the app on a broker are the
tests' own helpers (tests/support, which needs no pytest); what is here is the bench's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

from tests.support.celery import app_on_broker
from tests.support.celery import purge_queues as purge_queues
from tests.support.processes import BIN, ROOT, Process, free_port
from tests.support.processes import site_environ as support_site_environ
from tests.support.waiting import wait_for as wait_for

PREFIX = os.environ.get("BENCH_PREFIX") or f"bench{os.getpid()}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE_NAME = f"helloworld_{PREFIX}"
DATABASE_URL = f"{POSTGRES_SERVER}/{DATABASE_NAME}"
DATA_DIR = Path(tempfile.mkdtemp(prefix=f"helloworld-{PREFIX}-"))

BROKER_URLS = {"redis": REDIS_URL, "rabbitmq": RABBITMQ_URL, "filesystem": "filesystem://localhost//"}

LOCAL_MODE_NOTE = (
    "the site's processes run in local mode (HELLOWORLD_LOCAL=1: no login, what `make run` users see); "
    "database PostgreSQL, results in the database"
)


def site_environ(broker: str | None = None, **extra) -> dict[str, str]:
    """The environment of a site process (or of this one): local mode, the bench database, the
    bench data directory (filesystem broker), the bench queue prefix, and the broker asked for."""
    env = support_site_environ(
        DATA_DIR,
        PREFIX,
        DJANGO_SETTINGS_MODULE="helloworld.settings",
        DATABASE_URL=DATABASE_URL,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if broker and broker != "filesystem":
        env["CELERY_BROKER_URL"] = BROKER_URLS[broker]
    env.update(extra)
    return env


# --- the database ---------------------------------------------------------------------------


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def create_database() -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{DATABASE_NAME}"')


def drop_database() -> None:
    with suppress(Exception):
        from django.db import connections

        connections.close_all()
    with suppress(Exception):
        _admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


def setup_django() -> None:
    """Configure this process as the site (local mode, the bench database) and migrate."""
    os.environ.update(site_environ())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- brokers ----------------------------------------------------------------------------------


def site_app_on(broker: str):
    """The project's Celery app configured exactly as the site configures it for `broker` (what
    settings would make of CELERY_BROKER_URL), made current so that the site's tasks and
    `services` send through it until the block ends."""
    from django.conf import settings

    from helloworld import brokers

    chosen = brokers.from_environ({"CELERY_BROKER_URL": BROKER_URLS[broker]}, settings.DATA_DIR)
    return app_on_broker(chosen.url, chosen.transport_options, chosen.pool_limit, transport=chosen.transport)


def site_queues() -> list[str]:
    return [f"{PREFIX}.{name}" for name in ("high", "default", "low")]


def cleanup_brokers() -> None:
    """Remove every queue, list and key this run made on Redis and RabbitMQ."""
    with suppress(Exception):
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        for key in client.scan_iter(match=f"*{PREFIX}*", count=1000):
            client.delete(key)
        # RQ's job and result keys carry no queue name: a job's hash names its queue (origin).
        for key in client.scan_iter(match="rq:job:*", count=1000):
            if PREFIX.encode() in (client.hget(key, "origin") or b""):
                job_id = key.decode().split(":", 2)[2]
                client.delete(key, f"rq:results:{job_id}")
        for member in client.smembers("rq:queues"):
            if PREFIX.encode() in member:
                client.srem("rq:queues", member)
        for member in client.smembers("rq:workers"):
            if not client.exists(member) or PREFIX.encode() in (client.hget(member, "queues") or b""):
                client.delete(member)
                client.srem("rq:workers", member)
        for key in client.scan_iter(match="rq:worker:*", count=1000):  # a worker killed mid-shutdown
            if client.type(key) == b"hash" and PREFIX.encode() in (client.hget(key, "queues") or b""):
                client.delete(key)
        for key in client.scan_iter(match="_kombu.binding.*", count=1000):
            for member in client.smembers(key):
                if PREFIX.encode() in member:
                    client.srem(key, member)
        client.close()
    with suppress(Exception):
        from kombu import Connection

        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            channel = connection.channel()
            for name in [*site_queues(), f"{PREFIX}.raw", f"{PREFIX}.bare", f"{PREFIX}.floor"]:
                with suppress(Exception):
                    channel.queue_delete(name)
                    channel = connection.channel()
                with suppress(Exception):
                    channel.exchange_delete(name)
                    channel = connection.channel()


def cleanup() -> None:
    cleanup_brokers()
    drop_database()
    shutil.rmtree(DATA_DIR, ignore_errors=True)


# --- processes ---------------------------------------------------------------------------------


def start(name: str, argv: list[str], environ: dict, cwd: Path = ROOT) -> Process:
    """A process of this run, its log in the bench data directory; stop it with `terminate()`."""
    return Process(argv, environ, DATA_DIR / f"{name}.log", name=name, cwd=cwd)


def worker_argv(app: str, queue: str | None = None, name: str | None = None, quiet: bool = False) -> list[str]:
    """A Celery worker of `app` at the benchmarks' concurrency of 2, on `queue`, named `name` (two
    workers named alike share one remote-control queue), logging warnings only if `quiet`."""
    argv = [str(BIN / "celery"), "-A", app, "worker", "-c", "2"]
    argv += ["-Q", queue] if queue else []
    argv += ["-l", "WARNING"] if quiet else []
    return argv + (["-n", name] if name else [])


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def start_web(broker: str, workers: int = 2, extra: dict | None = None) -> tuple[Process, str]:
    """The site's web process as the platform runs it (the Procfile's `web`), in local mode."""
    port = free_port()
    env = site_environ(broker, PORT=str(port), WEB_CONCURRENCY=str(workers), **(extra or {}))
    process = start(f"web-{broker}-{port}", [str(BIN / "python"), "-m", "helloworld.web"], env)
    base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: http_status(f"{base}/api/tasks/not-a-task/") == 404,
        60,
        message="the web server to answer",
        process=process,
    )
    return process, base


# --- the site's load ---------------------------------------------------------------------------


def send_site_echoes(queue: str, count: int, chunk: int = 500) -> None:
    """`count` echo tasks into `queue` as the site sends them (the bulk API's `send_many`: the
    records committed, then the messages), so the worker meets the site's tasks, not tasks sent
    from outside it (which it records itself, worker.outside). Needs the site app current
    (`site_app_on`); the queue may be another worker's, with a prefix of its own."""
    from celery import current_app, uuid
    from kombu import Queue

    from tasks_app import catalog
    from tasks_app.broker.publishing import Outgoing
    from tasks_app.services.sending import send_many

    entry = catalog.get("echo")
    if queue not in current_app.amqp.queues:  # another worker's (bench.compare): declared as the site's are
        current_app.amqp.queues.add(Queue(queue, routing_key=queue))
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        send_many([(entry, Outgoing(entry.task, ["hello"], {}, uuid(), queue)) for _ in range(size)])
