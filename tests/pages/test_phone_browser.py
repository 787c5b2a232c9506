"""A phone in a browser (390 px wide, as an iPhone 12 to 15): no page scrolls sideways, and the
dashboard refreshing itself leaves the keyboard focus where it was."""

import json

import pytest
from django.conf import settings

from tasks_app import services

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/periodic/", "/tasks/", "/dashboard/"]


@pytest.fixture
def some_tasks(broker, transactional_db):
    services.enqueue("echo", ["café " * 12])
    services.enqueue("long_task", [5])
    services.enqueue("fetch_url", ["https://example.com/" + "a-rather-long-path/" * 6])
    services.schedule("echo", ["tick"], schedule_text="every 30 seconds", name="a-periodic-task-with-a-name-" * 3)
    services.schedule("long_task", [2], schedule_text="0 9 * * mon-fri", name="weekday mornings")


@pytest.mark.parametrize("path", PAGES)
def test_no_page_is_wider_than_a_phone(page, live_server, some_tasks, path):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
    shots.mkdir(parents=True, exist_ok=True)
    name = path.strip("/") or "home"
    page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
    assert width <= page.evaluate("window.innerWidth"), f"{path} is {width} px wide on a 390 px screen"


def test_the_dashboard_keeps_the_keyboard_focus_across_refreshes(page, live_server, some_tasks):
    page.goto(live_server.url + "/dashboard/")
    page.focus("#dashboard a, #dashboard button")
    page.evaluate("window.focused = document.activeElement")
    refreshed = "document.querySelector('#dashboard [data-field=generated-at]').textContent"
    for _ in range(2):  # two refreshes: the time it shows moves on each
        before = page.evaluate(refreshed)
        page.wait_for_function(f"() => {refreshed} !== {before!r}", timeout=15_000)
    assert page.evaluate("document.activeElement === window.focused && document.body.contains(window.focused)")


def test_a_failed_tasks_error_wraps_on_a_phone_instead_of_scrolling(page, live_server, broker, transactional_db):
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    reason = "Refused http://127.0.0.1:9/: 127.0.0.1 is a loopback address. " + "More words. " * 20
    TaskRecord.objects.create(task_id="phone-error", task_name="fetch_url", args=["http://127.0.0.1:9/"], queue="q")
    TaskResult.objects.create(
        task_id="phone-error",
        task_name="tasks_app.tasks.fetch_url",
        status="FAILURE",
        result=json.dumps({"exc_type": "FetchError", "exc_message": [reason]}),
    )
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/tasks/phone-error/")
    error = page.locator("[data-field=error]")
    assert error.is_visible()
    # Every word of the reason on screen: the box is no wider than it shows (no sideways scroller).
    assert error.evaluate("e => e.scrollWidth <= e.clientWidth"), error.evaluate("e => [e.scrollWidth, e.clientWidth]")
