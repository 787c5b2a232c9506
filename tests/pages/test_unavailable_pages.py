"""A page whose database is unreachable, or keeps it waiting past the web's bounds, is a short 503 page with
Retry-After, not "Server Error (500)" and never a stack trace; other errors keep Django's 500."""

import json
import time

import pytest
from django.test import Client, RequestFactory

from tasks_app.http import unavailable
from tasks_app.models import TaskRecord
from tasks_app.views import errors
from tests.support import database

pytestmark = pytest.mark.django_db(transaction=True)  # other connections must see the rows, and lock them

FORM = {"task": "echo", "args": '["while the database is away"]', "kwargs": "{}", "queue": "default"}


def assert_busy_page(response) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    text = response.content.decode()
    assert "The database is busy or unreachable" in text and "Traceback" not in text


@pytest.fixture
def browser():
    """A client that answers as the server would: Django's test client re-raises a view's error by default."""
    return Client(raise_request_exception=False)


def test_an_unreachable_database_is_a_503_page_for_a_logged_in_user(browser, production, alice):
    browser.force_login(alice)
    with database.unreachable():  # the session itself cannot be read, in middleware, before any view
        for path in ("/", "/tasks/", "/periodic/", "/api/"):  # /api/ is the API's page, not an endpoint
            assert_busy_page(browser.get(path))
    assert browser.get("/tasks/").status_code == 200


def test_a_form_held_past_the_web_bound_is_a_503_page_and_nothing_is_queued(browser):
    with database.web_bounds(WEB_DATABASE_LOCK_TIMEOUT="0.5", WEB_DATABASE_STATEMENT_TIMEOUT="1"):
        with database.write_locked(TaskRecord._meta.db_table):
            started = time.monotonic()
            response = browser.post("/", FORM)
            waited = time.monotonic() - started
        assert_busy_page(response)
        assert waited < 3, f"answered after {waited:.1f} s"
        assert not TaskRecord.objects.exists()
        assert browser.get("/tasks/").status_code == 200  # the same connection, once the lock is gone


def test_an_api_endpoint_the_middleware_failed_on_would_get_the_apis_json():
    """A safety net: API endpoints read the database only in their own decorator, which answers first."""
    request = RequestFactory().get("/api/tasks/")
    try:
        raise unavailable.DATABASE_ERRORS[0]("canceling statement due to lock timeout")
    except unavailable.DATABASE_ERRORS:
        response = errors.server_error(request)
    assert response.status_code == 503 and json.loads(response.content) == {"error": unavailable.MESSAGE}


def test_any_other_error_is_still_djangos_500():
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = errors.server_error(request)
    assert response.status_code == 500
