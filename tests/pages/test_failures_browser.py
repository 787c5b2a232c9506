"""The failures page in a browser: fits a phone, and a group is read, retried (through its
confirmation page) and dismissed from the keyboard alone."""

import json

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from tasks_app.models import TaskRecord

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}
URL = "http://127.0.0.1:9/" + "a-rather-long-path-segment/" * 5


@pytest.fixture
def a_failure(broker, transactional_db):
    """A failed fetch as a worker leaves it: the site's record, and a result row with a long traceback."""
    message = f"Refused {URL}: 127.0.0.1 is a loopback address." + " More words." * 20
    TaskRecord.objects.create(
        task_id="f-1", task_name="fetch_url", args=["https://example.com/"], queue=settings.CELERY_TASK_DEFAULT_QUEUE
    )
    TaskRecord.mirror_state("f-1", "FAILURE")
    TaskResult.objects.create(
        task_id="f-1",
        task_name="tasks_app.tasks.fetch_url",
        status="FAILURE",
        content_type="application/json",
        result=json.dumps(
            {"exc_type": "FetchError", "exc_module": "tasks_app.lib.safe_http", "exc_message": [message]}
        ),
        traceback="Traceback (most recent call last):\n" + f'  File "/app/{"deep/" * 30}tasks.py", line 1\n' * 20,
    )


def tab_to(page, text: str, most: int = 60) -> None:
    """Press Tab until the focused element's text starts with `text`, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("() => (document.activeElement.textContent || '').trim()").startswith(text):
            return
    raise AssertionError(f"Tab never reached {text!r}")


def test_the_failures_pages_fit_a_phone(page, live_server, a_failure):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/failures/")
    page.click("summary")  # the traceback open: the widest part
    shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "phone-failures.png"), full_page=True)
    group = page.get_attribute("[data-group]", "data-group")
    for path in ("/failures/", f"/failures/{group}/", f"/failures/{group}/retry/"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{path} is {width} px wide on a 390 px screen"


def test_a_group_is_read_retried_and_dismissed_from_the_keyboard(page, live_server, a_failure):
    page.goto(live_server.url + "/")
    tab_to(page, "Failures")  # in the nav of every page
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/failures/")
    tab_to(page, "Latest traceback")
    page.keyboard.press("Enter")
    assert page.is_visible("[data-field=traceback]")

    tab_to(page, "Retry this group")
    page.keyboard.press("Enter")
    page.wait_for_url("**/retry/")
    assert page.inner_text("[data-field=count]") == "1 of its 1"
    tab_to(page, "Retry 1")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/failures/")
    assert "Retried 1 failed task." in page.inner_text(".messages")
    assert TaskRecord.objects.filter(retry_of_id="f-1").count() == 1

    tab_to(page, "Dismiss")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")
    assert page.query_selector("[data-group]") is None
    tab_to(page, "Show dismissed groups (1)")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-group].dismissed")
