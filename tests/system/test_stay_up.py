"""A real gunicorn, started from the Procfile with production settings (PostgreSQL, Redis): twenty
anonymous health pollers, or four clients trickling a header line a second, leave another user's
request fast. Each test prints its figures."""

import socket
import statistics
import threading
import time
import urllib.request
import uuid

import pytest

from tests.support import processes
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
    )
    try:
        processes.release(env)
        key = processes.manage(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
        port = processes.free_port()
        base = f"http://127.0.0.1:{port}"
        with processes.honcho("Procfile", ["web"], env, port, tmp_path / "web.log") as running:
            processes.wait_for_site(base, running)
            yield base, port, key
            running.stop()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed_requests(base: str, key: str, count: int, within: float) -> list[float]:
    """`count` authenticated GET /api/tasks/?limit=1, one after another, each timed (at most `within` s in all)."""
    timings = []
    deadline = time.monotonic() + within
    while len(timings) < count and time.monotonic() < deadline:
        request = urllib.request.Request(f"{base}/api/tasks/?limit=1", headers={"Authorization": f"Bearer {key}"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            response.read()
        timings.append(time.monotonic() - started)
        time.sleep(0.05)
    return timings


def test_twenty_anonymous_health_pollers_leave_another_request_fast(site):
    base, _port, key = site
    stop = threading.Event()
    answered = []

    def poll():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"{base}/api/health/", timeout=10) as response:
                    answered.append(response.status)
            except OSError:
                answered.append(None)

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(20)]
    for poller in pollers:
        poller.start()
    try:
        time.sleep(2)
        timings = timed_requests(base, key, count=15, within=60)
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=15)
    median = statistics.median(timings)
    print(
        f"20 health pollers: GET /api/tasks/?limit=1 median {median:.3f} s, max {max(timings):.3f} s; "
        f"{len(answered)} health answers"
    )
    assert median < 0.1, timings


def test_four_slow_clients_leave_another_request_fast(site):
    base, port, key = site
    stop = threading.Event()

    def trickle():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.wait(1.0):
                try:
                    sock.sendall(b"X-Slow: a header line a second\r\n")
                except OSError:
                    return  # the server closed it: so much the better

    slow = [threading.Thread(target=trickle, daemon=True) for _ in range(4)]
    for client in slow:
        client.start()
    try:
        time.sleep(2)
        timings = timed_requests(base, key, count=5, within=60)
    finally:
        stop.set()
        for client in slow:
            client.join(timeout=5)
    median = statistics.median(timings)
    print(f"4 slow clients: GET /api/tasks/?limit=1 median {median:.3f} s, max {max(timings):.3f} s")
    assert max(timings) < 1, timings
