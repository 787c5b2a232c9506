"""Fixtures only: the machine's real PostgreSQL, Redis and RabbitMQ, real Celery workers and beat,
a browser, production settings and the people of the tests (alice, bob, staff). The helpers behind
them live in tests/support (which bench/ uses too).

A test that needs a service asks for its fixture. A missing service skips the test with the
reason and the command that starts it; with CI set, it fails instead, because CI must never
pass by skipping.
"""

from __future__ import annotations

import os
import types
from datetime import timedelta

import pytest
from celery import beat
from celery.worker import state as worker_state
from django.conf import settings
from django.db import connections
from django.utils import timezone

from helloworld import brokers
from tasks_app.lib import windows
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.celery import SessionWorker, app_on_broker, purge_queues, session_workers
from tests.support.services import POSTGRESQL, RABBITMQ, REDIS, require, skip_or_fail
from tests.support.users import make_user
from tests.support.waiting import wait_for


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
def django_db_setup(database_server, django_db_setup, django_db_blocker):
    """pytest-django's test database, made once the server it lives on has answered.

    At the end, before pytest-django drops it, PostgreSQL is told to end every other session on
    it: a thread still answering the last request of a browser test (live_server) held one, the
    DROP failed with a warning, and every run left a test database behind on the server.
    """
    yield
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def pytest_collection_modifyitems(config, items):
    for item in items:
        # Every test that touches the database runs again on PostgreSQL (make test's second pass).
        if item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames):
            item.add_marker(pytest.mark.database)
        # The marker only says what the fixture sets: alone it would change nothing, silently.
        if item.get_closest_marker("production") and "production" not in item.fixturenames:
            raise pytest.UsageError(f"{item.nodeid} is marked production but does not use the production fixture")


# --- Production settings and the people of the tests ------------------------------------------


@pytest.fixture
def production(request, settings):
    """The site as deployed (LOCAL_MODE off: logins, owners, staff, rate limits), with the settings
    that `@pytest.mark.production(NAME=value, ...)` on the test, its class or its module names; the
    closest marker wins."""
    settings.LOCAL_MODE = False
    for marker in reversed(list(request.node.iter_markers("production"))):
        for name, value in marker.kwargs.items():
            setattr(settings, name, value)


@pytest.fixture
def alice(db):
    """A user (no staff): in production she sees and acts on her own tasks only."""
    return make_user("alice")


@pytest.fixture
def bob(db):
    """Another user, to show what alice's tasks are not to him."""
    return make_user("bob")


@pytest.fixture
def staff(db):
    """sam, staff (no superuser): every task, the periodic tasks, the dashboard's actions, the admin."""
    return make_user("sam", staff=True)


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


@pytest.fixture(scope="session")
def celery_app(broker):
    """The project's Celery app on the broker under test, with its queues emptied before and after."""
    with app_on_broker(broker.url, broker.transport_options, transport=broker.transport) as app:
        purge_queues(app)
        yield app
        purge_queues(app)


@pytest.fixture(scope="session")
def _session_worker(celery_app, django_db_setup):
    holder = SessionWorker(celery_app)
    session_workers.append(holder)
    try:
        yield holder
    finally:
        session_workers.remove(holder)
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
    worker = _session_worker.start()
    # The app this test sends through and asks (remote control) is the worker's: a test before may
    # have left another app current (an app of its own, or an embedded worker's).
    celery_app.set_current()
    celery_app.set_default()
    yield worker
    purge_queues(celery_app)
    wait_for(lambda: not worker_state.active_requests, timeout=30, message="the worker to finish its tasks")


@pytest.fixture(autouse=True)
def _a_worker_only_for_tests_that_ask(request):
    """Stop the session's worker before a test that did not ask for one: it would take that
    test's tasks (which the test may expect to stay queued) and run them in its thread, where
    they fail to write their results once the test's database access has ended."""
    if "celery_worker" not in request.fixturenames and session_workers:
        session_workers[-1].stop()


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


# --- The clock of fixed windows ----------------------------------------------------------------


@pytest.fixture
def one_window(monkeypatch):
    """Rate limits (one-minute windows) and login throttling (LOGIN_FAILURE_WINDOW_SECONDS, 300 s in
    tests) count in fixed windows of wall-clock time (tasks_app.lib.windows): a test whose requests
    straddle a window's edge sees its count start again. Pin the clock the windows read to the
    middle of a window, two and a half minutes into a five-minute one and so half-way through a
    minute as well."""
    now = timezone.now()
    pinned = now - timedelta(seconds=now.timestamp() % 300 - 150)
    monkeypatch.setattr(windows, "timezone", types.SimpleNamespace(now=lambda: pinned))
    return pinned


# --- The browser -----------------------------------------------------------------------------


@pytest.fixture
def page(monkeypatch):
    """A Chromium page driven by Playwright (Debian's chromium package; `make test` installs it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        skip_or_fail("Chromium is not installed; install it with: apt-get install chromium (make test does)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's guard against async contexts does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()
