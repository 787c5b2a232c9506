"""A database that is unreachable, or that keeps a request waiting past the web's bounds, is the API's JSON
503 with Retry-After, never Django's HTML 500; nothing is queued, and the next call is served as usual.
(The same against the booted web process, with a 30 s lock on the session table: tests/system/
test_web_with_a_slow_database.py.)"""

import json
import time

import pytest

from tasks_app.http import unavailable
from tasks_app.models import ApiToken, TaskRecord
from tests.support import database

pytestmark = pytest.mark.django_db(transaction=True)  # other connections must see the rows, and lock them

TASK = {"task": "echo", "args": ["while the database is away"]}
CALLS = [
    ("POST", "/api/tasks/", TASK),
    ("POST", "/api/tasks/bulk/", {"tasks": [TASK, TASK]}),
    ("GET", "/api/health/", None),
]


def send(client, method: str, path: str, body, **headers):
    if body is None:
        return client.generic(method, path, **headers)
    return client.generic(method, path, json.dumps(body), content_type="application/json", **headers)


def assert_database_503(response) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": unavailable.MESSAGE}
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_an_unreachable_database_is_a_json_503_and_the_next_call_is_served(client, method, path, body):
    with database.unreachable():
        started = time.monotonic()
        response = send(client, method, path, body)
        assert time.monotonic() - started < 5
    assert_database_503(response)
    assert not TaskRecord.objects.exists()
    assert client.get("/api/tasks/").status_code == 200  # the connection opens again by itself


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_in_production_a_token_call_is_a_json_503_too(client, production, alice, method, path, body):
    token = ApiToken(user=alice, name="t")
    key = token.issue()
    token.save()
    with database.unreachable():
        response = send(client, method, path, body, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert_database_503(response)
    assert not TaskRecord.objects.exists()


# Each bound in turn: a lock wait past lock_timeout (LockNotAvailable on PostgreSQL), then a statement past
# statement_timeout with no lock bound (QueryCanceled). SQLite bounds its write-lock wait by the statement bound.
@pytest.mark.parametrize(
    "bounds",
    [
        {"WEB_DATABASE_LOCK_TIMEOUT": "0.5", "WEB_DATABASE_STATEMENT_TIMEOUT": "1"},
        {"WEB_DATABASE_LOCK_TIMEOUT": "0", "WEB_DATABASE_STATEMENT_TIMEOUT": "0.5"},
    ],
    ids=["lock bound", "statement bound"],
)
def test_a_write_held_past_the_web_bound_is_a_json_503_and_the_connection_serves_the_next(client, bounds):
    with database.web_bounds(**bounds):
        with database.write_locked(TaskRecord._meta.db_table):
            started = time.monotonic()
            response = send(client, "POST", "/api/tasks/", TASK)
            waited = time.monotonic() - started
        assert_database_503(response)
        assert waited < 3, f"answered after {waited:.1f} s"
        assert not TaskRecord.objects.exists()
        # The lock gone, the same connection serves the next call: only the statement was cancelled.
        assert client.get("/api/tasks/").status_code == 200
