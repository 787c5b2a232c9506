"""fetch_url tries again after network errors, with exponential backoff and jitter, a bounded
number of times, and every attempt shows on its status page; a refused address fails at once."""

import pytest

from tasks_app import tasks
from tasks_app.selectors import status
from tests.support.processes import free_port
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("broker", ["filesystem"], indirect=True)


def send(client, url: str) -> str:
    response = client.post("/api/tasks/", {"task": "fetch_url", "args": [url]}, content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


@pytest.fixture
def quick_retries(settings, monkeypatch):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the closed port is on this machine
    settings.FETCH_URL_MAX_RETRIES = 2
    settings.FETCH_URL_RETRY_BACKOFF = 2  # waits of 0-2 s, then 0-4 s (full jitter)
    settings.FETCH_URL_RETRY_BACKOFF_MAX = 4
    # Full jitter draws whole seconds from 0: one run in fifteen waited 0 s both times and the
    # test never saw a retry to check (seen in a full run). At least 1 s leaves each retry on view.
    backoff = tasks.get_exponential_backoff_interval
    monkeypatch.setattr(tasks, "get_exponential_backoff_interval", lambda **kw: max(1, backoff(**kw)))


def test_a_refused_connection_is_tried_three_times_then_fails_and_each_attempt_shows(
    client, celery_worker, quick_retries
):
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there: connection refused
    task_id = send(client, url)
    seen = set()

    def finished():
        found = status.get(task_id)
        if found.state == "RETRY" and found.attempts:
            seen.add((found.attempts["attempt"], len(found.attempts["errors"])))
        return found if found.finished else None

    found = wait_for(finished, timeout=30, interval=0.01, message="fetch_url to give up")
    assert found.state == "FAILURE"
    assert found.error.startswith(f"NetworkError: Could not fetch {url}: ConnectionRefusedError")
    assert found.attempts["attempt"] == 3 and found.attempts["max_attempts"] == 3
    assert len(found.attempts["errors"]) == 3
    assert all("ConnectionRefusedError" in error for error in found.attempts["errors"])
    # While it waited, the page said which attempt had failed and why.
    assert seen and seen <= {(1, 1), (2, 2)}

    html = client.get(f"/tasks/{task_id}/").content.decode()
    assert '<dd data-field="attempt">3 of 3</dd>' in html
    assert html.count("ConnectionRefusedError") >= 3
    api = client.get(f"/api/tasks/{task_id}/").json()
    assert api["attempts"]["attempt"] == 3 and len(api["attempts"]["errors"]) == 3


def test_a_refused_address_fails_at_once_without_retrying(client, celery_worker, settings):
    settings.FETCH_URL_MAX_RETRIES = 5
    settings.FETCH_URL_RETRY_BACKOFF = 30  # a retry would leave it waiting well past the timeout
    # The form refuses this URL before sending; the worker must refuse it too (a name can resolve
    # elsewhere by the time the task runs), so send it past the form, straight to the worker.
    task_id = tasks.fetch_url.apply_async(["http://127.0.0.1:9/"]).id
    found = wait_for(lambda: (s := status.get(task_id)) and s.finished and s, timeout=20, message="fetch_url to fail")
    assert found.state == "FAILURE"
    assert found.error.startswith("FetchError: Refused http://127.0.0.1:9/")
    assert found.attempts["attempt"] == 1 and found.attempts["errors"] == []
    # It says it is not tried again, not "Attempt 1 of 6".
    assert found.attempts["max_attempts"] == 1 and found.attempts["not_retried"] is True
    html = client.get(f"/tasks/{task_id}/").content.decode()
    assert '<dd data-field="attempt">1 of 1: refused, so not tried again</dd>' in html
    # In local mode (the tests'), the refusal names the setting that allows one's own server.
    assert "FETCH_URL_ALLOWED_NETWORKS=127.0.0.0/8" in found.error


def test_in_production_a_refusal_does_not_suggest_opening_the_network(client, celery_worker, production):
    task_id = tasks.fetch_url.apply_async(["http://127.0.0.1:9/"]).id
    found = wait_for(lambda: (s := status.get(task_id)) and s.finished and s, timeout=20, message="fetch_url to fail")
    assert found.error.startswith("FetchError: Refused http://127.0.0.1:9/")
    assert "FETCH_URL_ALLOWED_NETWORKS" not in found.error and found.attempts["not_retried"] is True


@pytest.mark.slow
def test_the_status_page_shows_each_attempt_live_in_a_browser(
    page,
    live_server,
    celery_worker,
    quick_retries,
):
    """The page opened while the task still retries follows it: attempts, errors, then Retry for Revoke."""
    url = f"http://127.0.0.1:{free_port()}/"
    # Sent through the live server, not the test client: ORM calls made here, inside Playwright's
    # event loop, would open a connection that the test database's teardown cannot close.
    sent = page.request.post(f"{live_server.url}/api/tasks/", data={"task": "fetch_url", "args": [url]})
    assert sent.status == 202, sent.text()
    task_id = sent.json()["id"]
    page.goto(f"{live_server.url}/tasks/{task_id}/")
    assert page.is_visible("[data-field=revoke-link]") and not page.is_visible("[data-field=retry-link]")
    page.wait_for_selector("[data-field=attempt]", state="visible", timeout=20000)
    page.wait_for_function(
        "() => document.querySelector('[data-field=state]').textContent === 'FAILURE'", timeout=30000
    )
    assert page.inner_text("[data-field=attempt]") == "3 of 3"
    assert page.locator("[data-field=attempt-errors] li").count() == 3
    assert "ConnectionRefusedError" in page.inner_text("[data-field=attempt-errors]")
    assert page.is_visible("[data-field=retry-link]") and not page.is_visible("[data-field=revoke-link]")
