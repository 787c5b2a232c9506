"""One worker's page in a browser, on a phone and from the keyboard alone: a rate limit set and shown,
a command the worker refuses (a thread pool cannot grow) said to be refused, and stopping a queue
confirmed first. The worker is Celery's embedded one, on queues and remote control of its own."""

import pytest
from django.conf import settings

from tests.support.celery import embedded_worker
from tests.support.own_queues import app_with_own_queues

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def worker(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app, embedded_worker(app) as started:
        yield started.hostname


def press_on(page, selector):
    page.focus(selector)
    with page.expect_navigation():  # the form's POST, then the redirect to the worker's page
        page.keyboard.press("Enter")


def message(page) -> str:
    return page.inner_text(".messages")


def test_a_worker_is_controlled_from_the_keyboard_on_a_phone(page, live_server, worker):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/workers/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    press_on(page, f"[data-worker='{worker}'] a")
    assert page.inner_text("h1") == worker

    page.focus("#rate-task")
    page.keyboard.type("echo")
    page.keyboard.press("Tab")
    page.keyboard.type("5/s")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"rate_limit — {worker} answered: new rate limit set successfully" in message(page)
    assert page.inner_text("[data-rate=echo]") == "5/s"

    press_on(page, "form[action$='/pool_grow/'] button")
    assert f"pool_grow — {worker} refused:" in message(page)

    press_on(page, "[data-queue=low] button")
    assert page.inner_text("h1") == f"Stop {worker} consuming from low?"
    press_on(page, "form.actions button.danger")
    assert f"{worker} answered: no longer consuming from {settings.QUEUES['low']}" in message(page)
    page.wait_for_function("() => document.querySelectorAll('[data-action]').length === 3")

    width = page.evaluate("document.documentElement.scrollWidth")
    shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "phone-worker.png"), full_page=True)
    assert width <= page.evaluate("window.innerWidth"), f"the worker page is {width} px wide on a 390 px screen"
