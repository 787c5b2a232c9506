"""A slow or missing database holds no thread of the web process for long: the Procfile's `web`, booted with
production settings on a PostgreSQL database of the test's own, while another connection holds a real lock
on `django_session` for 30 s, and then while the database refuses every connection. Each test prints its
figures."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support import processes
from tests.support.services import POSTGRESQL, REDIS, require
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

PAGES_AT_ONCE = 24  # more than the web process's request threads (2 x 8 by default)

USERS_SCRIPT = (
    "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
    "from django.contrib.auth.models import User\n"
    "from django.contrib.sessions.backends.db import SessionStore\n"
    "from tasks_app.models import ApiToken\n"
    "user = User.objects.create_user('reader', password='r' * 20)\n"
    "token = ApiToken(user=user, name='test'); key = token.issue(); token.save()\n"
    "session = SessionStore()\n"
    "session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),\n"
    "    BACKEND_SESSION_KEY: 'django.contrib.auth.backends.ModelBackend'})\n"
    "session.create()\n"
    "print(key, session.session_key)"
)


class Site:
    def __init__(self, base: str, database_url: str, admin_url: str, name: str, token: str, session: str):
        self.base, self.database_url, self.admin_url, self.name = base, database_url, admin_url, name
        self.token, self.session = token, session

    def request(self, method: str, path: str, body=None, *, token=False, session=False) -> tuple:
        """(status, headers (names in any case), body text, seconds taken)."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        if session:
            headers["Cookie"] = f"sessionid={self.session}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=45) as response:
                return response.status, response.headers, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(), time.monotonic() - started


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import psycopg

    admin_url = require(POSTGRESQL)
    broker = require(REDIS).rsplit("/", 1)[0] + "/13"
    name = f"hw_dbbounds_{uuid.uuid4().hex[:8]}"
    database_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    tmp_path = tmp_path_factory.mktemp("dbbounds")
    env = processes.site_env(
        tmp_path,
        local=False,
        DATABASE_URL=database_url,
        SECRET_KEY="database-bounds-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        REDIS_URL=broker,
    )
    try:
        processes.release(env)
        token, session = processes.manage(env, "shell", "-c", USERS_SCRIPT).strip().splitlines()[-1].split()
        port = processes.free_port()
        with processes.honcho("Procfile", ["web"], env, port, tmp_path / "web.log") as running:
            processes.wait_for_site(f"http://127.0.0.1:{port}", running)
            yield Site(f"http://127.0.0.1:{port}", database_url, admin_url, name, token, session)
            running.stop()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_threads(count: int, call) -> tuple[list, list[threading.Thread]]:
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(call()), daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return answers, threads


def test_a_30_s_lock_on_the_session_table_holds_no_thread_past_the_bound(site):
    import psycopg

    holder = psycopg.connect(site.database_url)
    # The server ends the holder's transaction (and so its lock) after 30 s, whatever happens here.
    holder.execute("SET idle_in_transaction_session_timeout = '30s'")
    holder.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
    try:
        pages, page_threads = in_threads(PAGES_AT_ONCE, lambda: site.request("GET", "/", session=True))
        time.sleep(0.5)  # every request thread of the web process is now waiting on the lock
        health = site.request("GET", "/api/health/")
        listing = site.request("GET", "/api/tasks/?limit=1", token=True)
        # Health asked with a session it cannot read in time answers as it does anonymously.
        health_with_session = site.request("GET", "/api/health/", session=True)
        for thread in page_threads:
            thread.join(timeout=45)
    finally:
        holder.close()
    slowest_page = max(seconds for *_, seconds in pages)
    print(
        f"{PAGES_AT_ONCE} logged-in GET / beside a 30 s lock on django_session: statuses "
        f"{sorted({status for status, *_ in pages})}, slowest {slowest_page:.2f} s; anonymous health "
        f"{health[0]} in {health[3]:.2f} s, with the session {health_with_session[0]} in "
        f"{health_with_session[3]:.2f} s; token GET /api/tasks/ {listing[0]} in {listing[3]:.2f} s"
    )
    # At most two rounds of the 2 s lock bound to wait for a free thread (29 to 31 s before the bounds).
    assert health[0] == 200 and health[3] < 8, health
    assert listing[0] == 200 and listing[3] < 8, listing
    assert health_with_session[0] == 200 and health_with_session[3] < 8, health_with_session
    assert json.loads(health_with_session[2]).keys() == json.loads(health[2]).keys()
    assert len(pages) == PAGES_AT_ONCE
    for status, headers, text, _seconds in pages:
        assert status == 503, text[:500]
        assert headers["Content-Type"].startswith("text/html") and int(headers["Retry-After"]) > 0
        assert "Traceback" not in text and "database" in text.lower()
    assert slowest_page < 12, pages  # rounds of the 2 s lock bound on 16 threads (30 s before), room for a slow machine
    # The lock gone, the same connections read the session again (the API: the pages' static files are not
    # collected here).
    status, _headers, text, _seconds = site.request("GET", "/api/tasks/?limit=1", session=True)
    assert status == 200, text[:500]


def test_a_database_that_refuses_connections_is_a_json_503_on_the_api_and_a_503_page_elsewhere(site):
    import psycopg

    task = {"task": "echo", "args": ["while the database is gone"]}
    with psycopg.connect(site.admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{site.name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (site.name,))
        try:
            answers = {
                "POST /api/tasks/": site.request("POST", "/api/tasks/", task, token=True),
                "POST /api/tasks/bulk/": site.request("POST", "/api/tasks/bulk/", {"tasks": [task]}, token=True),
                "GET /api/health/": site.request("GET", "/api/health/"),
            }
            page = site.request("GET", "/", session=True)
        finally:
            admin.execute(f'ALTER DATABASE "{site.name}" ALLOW_CONNECTIONS true')
    print("database refusing connections: " + ", ".join(f"{k} {v[0]} in {v[3]:.2f} s" for k, v in answers.items()))
    for call, (status, headers, text, seconds) in answers.items():
        assert status == 503, f"{call}: {status} {text[:300]}"
        assert headers["Content-Type"] == "application/json", call
        assert json.loads(text)["error"].startswith("The database"), call
        assert int(headers["Retry-After"]) > 0 and seconds < 5, call
    assert page[0] == 503 and page[1]["Content-Type"].startswith("text/html") and "Traceback" not in page[2]
    # Back: the web process reconnects by itself.
    wait_for(lambda: site.request("GET", "/api/health/")[0] == 200, timeout=15, message="health to answer 200 again")
    with psycopg.connect(site.database_url) as connection:
        queued = connection.execute("SELECT count(*) FROM tasks_app_taskrecord").fetchone()[0]
    assert queued == 0, "a task refused with a 503 was recorded"
