"""The web tier as the platform runs it (the Procfile's `web`, production settings, PostgreSQL and
Redis) beside clients that hold its connections: a thousand silent ones, a hundred trickling a
request head or a body a byte a second, twenty health pollers. Another user's requests stay fast
(p50 at most 0.1 s, none over 1 s), every held connection is closed within its bound, and an idle
connection costs little memory. Each test prints its figures."""

import statistics
import threading
import time
import types
import urllib.request
import uuid

import pytest

from tests.support import processes, slow_clients
from tests.support.services import POSTGRESQL, REDIS, require

pytestmark = pytest.mark.slow

TOKEN_SCRIPT = (
    "from django.contrib.auth.models import User; from tasks_app.models import ApiToken\n"
    "user = User.objects.create_user('poller', password='p' * 20)\n"
    "token = ApiToken(user=user, name='test'); key = token.issue(); token.save(); print(key)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import psycopg

    admin_url = require(POSTGRESQL)
    broker = require(REDIS).rsplit("/", 1)[0] + "/12"
    name = f"hw_stayup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    tmp_path = tmp_path_factory.mktemp("stayup")
    env = processes.site_env(
        tmp_path,
        local=False,
        DATABASE_URL=admin_url.rsplit("/", 1)[0] + f"/{name}",
        SECRET_KEY="stay-up-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        REDIS_URL=broker,
        # Shorter than the platform's 30 s, so that the test sees every held connection closed.
        WEB_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        WEB_BODY_TIMEOUT=str(BODY_TIMEOUT),
    )
    try:
        processes.release(env)
        key = processes.manage(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
        port = processes.free_port()
        base = f"http://127.0.0.1:{port}"
        with processes.honcho("Procfile", ["web"], env, port, tmp_path / "web.log") as running:
            processes.wait_for_site(base, running)
            yield types.SimpleNamespace(base=base, port=port, key=key, running=running)
            running.stop()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


HEADER_TIMEOUT = 8  # seconds for a whole request head (WEB_HEADER_TIMEOUT)
BODY_TIMEOUT = 8  # seconds for a whole body after its head (WEB_BODY_TIMEOUT)
MEASURE_FOR = 6  # seconds of timed requests beside the held connections


def others_requests(site) -> list[float]:
    """Another user's authenticated API requests (a PostgreSQL query each), timed."""
    url = f"{site.base}/api/tasks/?limit=1"
    return slow_clients.timed_requests(url, MEASURE_FOR, headers={"Authorization": f"Bearer {site.key}"})


def assert_fast(timings: list[float]) -> None:
    assert statistics.median(timings) <= 0.1, timings
    assert max(timings) < 1, timings


def wait_all_closed(held: slow_clients.Held, bound: float) -> None:
    deadline = held.opened_at[-1] + bound + 3
    while held.open_count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert held.open_count == 0, f"{held.open_count} {held.kind} connections still open after {bound + 3:g} s"
    assert max(held.closed_after.values()) <= bound + 3, sorted(held.closed_after.values())[-5:]


def test_a_thousand_silent_connections_leave_others_fast_cost_little_and_are_closed(site):
    before = slow_clients.rss_kib(site.running.leftovers(), "granian")
    with slow_clients.holding(site.port, "silent", 1000) as held:
        time.sleep(1)
        during = slow_clients.rss_kib(site.running.leftovers(), "granian")
        timings = others_requests(site)
        per_connection = (during - before) / 1000
        print(f"beside 1000 silent connections: {slow_clients.summary(timings)}; {per_connection:.1f} KiB each")
        assert_fast(timings)
        assert per_connection < 64, (before, during)
        wait_all_closed(held, HEADER_TIMEOUT)
        assert not any(held.answers.values())  # closed without a word: there was no request to answer


def test_a_hundred_clients_trickling_a_request_head_leave_others_fast_and_are_closed(site):
    with slow_clients.holding(site.port, "head", 100) as held:
        time.sleep(1)
        timings = others_requests(site)
        print(f"beside 100 clients trickling a head: {slow_clients.summary(timings)}")
        assert_fast(timings)
        wait_all_closed(held, HEADER_TIMEOUT)


def test_a_hundred_clients_trickling_a_body_leave_others_fast_and_get_a_408(site):
    with slow_clients.holding(site.port, "body", 100) as held:
        time.sleep(1)
        timings = others_requests(site)
        print(f"beside 100 clients trickling a body: {slow_clients.summary(timings)}")
        assert_fast(timings)
        wait_all_closed(held, BODY_TIMEOUT)
        assert all(answer.startswith(b"HTTP/1.1 408") for answer in held.answers.values()), held.answers


def test_twenty_anonymous_health_pollers_leave_another_request_fast(site):
    stop = threading.Event()
    answered = []

    def poll():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"{site.base}/api/health/", timeout=10) as response:
                    answered.append(response.status)
            except OSError:
                answered.append(None)

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(20)]
    for poller in pollers:
        poller.start()
    try:
        time.sleep(2)
        timings = others_requests(site)
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=15)
    print(f"20 health pollers: {slow_clients.summary(timings)}; {len(answered)} health answers")
    assert statistics.median(timings) < 0.1, timings
