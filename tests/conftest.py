"""Service fixtures: the machine's real PostgreSQL, Redis and RabbitMQ, and real Celery workers.

A test that needs a service asks for its fixture. A missing service skips the test with the
reason and the command that starts it; with CI set, it fails instead, because CI must never
pass by skipping.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from celery import Celery, beat, bootsteps
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import state as worker_state
from django.conf import settings
from django.db import connections

from helloworld import brokers

IN_CI = bool(os.environ.get("CI"))


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    how_to_start: str


POSTGRESQL = Service(
    "PostgreSQL",
    os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
)
REDIS = Service(
    "Redis",
    # Database 15 keeps the tests away from a developer's own data in database 0.
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
)
RABBITMQ = Service(
    "RabbitMQ",
    os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "rabbitmq-server -detached",
)


def _probe(service: Service) -> str | None:
    """None when the service answers, else why not."""
    try:
        if service is POSTGRESQL:
            import psycopg

            psycopg.connect(service.url, connect_timeout=3).close()
        elif service is REDIS:
            import redis

            client = redis.Redis.from_url(service.url, socket_connect_timeout=3)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(service.url, connect_timeout=3) as connection:
                connection.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


_probed: dict[str, str | None] = {}


def require(service: Service) -> str:
    """The service's URL, or skip (fail in CI) with what is missing and how to start it."""
    if service.name not in _probed:
        _probed[service.name] = _probe(service)
    problem = _probed[service.name]
    if problem:
        message = (
            f"{service.name} is not reachable at {_host(service.url)} ({problem}). "
            f"Start it with: {service.how_to_start}"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return service.url


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    return require(POSTGRESQL)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require(REDIS)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return require(RABBITMQ)


@pytest.fixture(scope="session")
def database_server():
    """When DATABASE_URL names PostgreSQL, the server must answer before a test database is made."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require(POSTGRESQL)


@pytest.fixture(scope="session")
def django_db_setup(database_server, django_db_setup):
    """pytest-django's test database, made once the server it lives on has answered."""
    yield


def pytest_collection_modifyitems(config, items):
    # Every test that touches the database runs again on PostgreSQL (make test's second pass).
    for item in items:
        if item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames):
            item.add_marker(pytest.mark.database)


# --- Brokers and workers -------------------------------------------------------------------

BROKER_KINDS = ["filesystem", "redis", "rabbitmq"]


# Session-scoped so that each broker's app and worker start once: the tests are grouped by
# broker, and a worker takes seconds to stop.
@pytest.fixture(scope="session", params=BROKER_KINDS)
def broker(request) -> brokers.Broker:
    """Each broker in turn: the embedded filesystem one, then the machine's Redis and RabbitMQ."""
    if request.param == "filesystem":
        return brokers.filesystem(settings.DATA_DIR)
    url = require(REDIS if request.param == "redis" else RABBITMQ)
    return brokers.from_environ({"CELERY_BROKER_URL": url}, settings.DATA_DIR)


@contextmanager
def app_on_broker(url: str, transport_options: dict | None = None):
    """A Celery app configured exactly like the project's but on `url`, made the current app
    (so the project's @shared_task tasks and `services` send through it) until the block ends.

    Then the app that was current before is current again: inside the session's app (a test's
    own app within a broker's run of tests), not the project's, whose broker is another."""
    previous_current, previous_default = celery_state.get_current_app(), celery_state.default_app
    app = Celery("helloworld", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.set_current()
    app.set_default()
    try:
        yield app
    finally:
        app.close()
        previous_current.set_current()
        celery_state.set_default_app(previous_default)


@pytest.fixture(scope="session")
def celery_app(broker):
    """The project's Celery app on the broker under test, with its queues emptied before and after."""
    with app_on_broker(broker.url, broker.transport_options) as app:
        purge_queues(app)
        yield app
        purge_queues(app)


def purge_queues(app) -> int:
    """Empty the project's queues on the app's broker; returns how many messages were dropped."""
    dropped = 0
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in app.amqp.queues.values():
            bound = queue(channel)
            bound.declare()
            dropped += bound.purge() or 0
    return dropped


def _close_task_thread_connections(**kwargs):
    # Only in a worker's thread: a test's own eager `apply()` runs in the main thread, inside
    # the test's transaction, whose connection must stay open.
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()


@contextmanager
def embedded_worker(app, concurrency: int = 2):
    """Celery's embedded test worker on the thread pool; the session's worker is stopped first.

    One at a time: Celery keeps a worker's state (requests running, revoked ids, the shutdown
    flag) per process, and a second embedded worker beside the session's stalled on RabbitMQ
    and then could not be stopped. The session's starts again for the next test that asks.

    Threads, not the solo pool: solo in an embedded thread held every second message on
    RabbitMQ for ten seconds (acks_late with a prefetch of one). A real worker's Django fix-up
    closes the database connections its tasks opened; the embedded worker's threads would keep
    theirs, and PostgreSQL then refuses to drop the test database ("being accessed by other
    users"), so each task's connections are closed after it.
    """
    if _session_workers:
        _session_workers[-1].stop()
    with _worker_thread(app, concurrency) as worker:
        yield worker


@contextmanager
def _worker_thread(app, concurrency: int = 2):
    task_postrun.connect(_close_task_thread_connections, weak=False)
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_task_thread_connections)


class SessionWorker:
    """The worker most broker tests share, started when one asks and stopped when a test starts
    a worker of its own (or the broker under test changes)."""

    def __init__(self, app):
        self.app = app
        self._running = None  # (context manager, worker) while it runs

    def start(self):
        if self._running is not None and self._running[1].blueprint.state != bootsteps.RUN:
            # It stopped on its own (an unrecoverable error, logged in the test it happened in):
            # a fresh one keeps that failure from spreading to every later test of the broker.
            self.stop()
        if self._running is None:
            context = _worker_thread(self.app)
            self._running = (context, context.__enter__())
        return self._running[1]

    def stop(self):
        if self._running is not None:
            context, _ = self._running
            self._running = None
            context.__exit__(None, None, None)


_session_workers: list[SessionWorker] = []


@pytest.fixture(scope="session")
def _session_worker(celery_app, django_db_setup):
    holder = SessionWorker(celery_app)
    _session_workers.append(holder)
    try:
        yield holder
    finally:
        _session_workers.remove(holder)
        holder.stop()


@pytest.fixture
def celery_worker(_session_worker, celery_app, transactional_db):
    """A real worker (Celery's embedded test worker, thread pool) consuming the project's queues.

    The database is transactional because the worker writes results from its own thread. The
    queues are emptied first, of what tests without a worker left there. Afterwards the worker
    is let finish what it runs and the queues are emptied, so that no task of this test runs
    after its database is gone.
    """
    purge_queues(celery_app)
    yield _session_worker.start()
    purge_queues(celery_app)
    wait_for(lambda: not worker_state.active_requests, timeout=30, message="the worker to finish its tasks")


@pytest.fixture(autouse=True)
def _a_worker_only_for_tests_that_ask(request):
    """Stop the session's worker before a test that did not ask for one: it would take that
    test's tasks (which the test may expect to stay queued) and run them in its thread, where
    they fail to write their results once the test's database access has ended."""
    if "celery_worker" not in request.fixturenames and _session_workers:
        _session_workers[-1].stop()


@pytest.fixture
def celery_beat(celery_app, transactional_db):
    """A real beat (Celery's embedded service, in a thread) with the project's database scheduler."""
    service = beat.EmbeddedService(celery_app, thread=True, scheduler_cls=celery_app.conf.beat_scheduler)
    service.start()
    try:
        yield service
    finally:
        service.service.stop(wait=False)
        service.join(timeout=15)
        assert not service.is_alive(), "beat did not stop within 15 s"


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `predicate()` returns something truthy; return it, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:g}s waiting for {message}")
        time.sleep(interval)
