"""Celery for tests and benchmarks: the project's app on a chosen broker, emptying its queues, and
Celery's embedded test worker (one at a time, see `embedded_worker`)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from celery import Celery, bootsteps
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from kombu import Queue


@contextmanager
def app_on_broker(
    url: str, transport_options: dict | None = None, pool_limit: int | None = None, transport: str | None = None
):
    """A Celery app configured exactly like the project's but on `url`, made the current app
    (so the project's @shared_task tasks and `services` send through it) until the block ends.

    Then the app that was current before is current again: inside the session's app (a test's
    own app within a broker's run of tests), not the project's, whose broker is another."""
    previous_current, previous_default = celery_state.get_current_app(), celery_state.default_app
    app = Celery("helloworld", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.conf.broker_transport = transport  # the site's Redis transport, when a Broker names it
    if pool_limit is not None:
        app.conf.broker_pool_limit = pool_limit
    app.set_current()
    app.set_default()
    try:
        yield app
    finally:
        app.close()
        previous_current.set_current()
        celery_state.set_default_app(previous_default)


def purge_queues(app, names=None) -> int:
    """Empty queues on the app's broker (declaring them if needed): the named ones, by default
    the app's own (the project's queues); returns how many messages were dropped."""
    queues = app.amqp.queues.values() if names is None else [Queue(name, routing_key=name) for name in names]
    dropped = 0
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
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
    if session_workers:
        session_workers[-1].stop()
    with worker_thread(app, concurrency) as worker:
        yield worker


@contextmanager
def worker_thread(app, concurrency: int = 2):
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
            context = worker_thread(self.app)
            self._running = (context, context.__enter__())
        return self._running[1]

    def stop(self):
        if self._running is not None:
            context, _ = self._running
            self._running = None
            context.__exit__(None, None, None)


# The session's worker while its fixture (tests/conftest.py) is set up: the last is the current one.
session_workers: list[SessionWorker] = []
