"""The tasks list in a browser follows the site without a reload: a state that changes shows in its
row, a new task waits behind "1 new task — show" so that the row a person ticked does not move, rows
are chosen from the keyboard, times read "just now" with the exact time on hover, and it fits a phone."""

import pytest

from tasks_app import services
from tests.support.own_queues import app_with_own_queues

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


def row(task_id: str) -> str:
    return f"tr[data-task='{task_id}']"


def test_the_open_list_follows_state_changes_and_new_tasks_without_moving_a_ticked_row(page, live_server, own_app):
    first, second = services.enqueue("echo", ["first"]), services.enqueue("echo", ["second"])
    page.goto(live_server.url + "/tasks/")
    page.evaluate("window.notReloaded = true")
    assert page.inner_text(f"{row(first.task_id)} time") == "just now"
    # The exact time on hover, in the browser's zone (Playwright's Chromium runs in UTC here).
    assert page.get_attribute(f"{row(first.task_id)} time", "title").endswith("UTC")

    # From the keyboard: tab from "select all" to the first row's checkbox, and tick it with the space bar.
    page.focus("#choose-page")
    page.keyboard.press("Space")
    assert page.eval_on_selector_all("input[name=ids]", "boxes => boxes.every(box => box.checked)")
    page.keyboard.press("Space")
    for _ in range(8):  # past the buttons and the export links
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "ids":
            break
    assert page.evaluate("document.activeElement.value") == second.task_id, "the newest row's checkbox, by Tab"
    page.keyboard.press("Space")
    ticked = f"{row(second.task_id)} input[name=ids]"
    assert page.is_checked(ticked)
    place = page.locator(row(second.task_id)).bounding_box()["y"]

    own_app.backend.store_result(first.task_id, "done", "SUCCESS")
    newest = services.enqueue("echo", ["third"])
    page.wait_for_function(
        f"() => document.querySelector(\"{row(first.task_id)} [data-field=state]\").textContent.trim() === 'SUCCESS'",
        timeout=15_000,
    )
    page.wait_for_selector("#show-new-tasks:visible", timeout=15_000)
    assert page.inner_text("#show-new-tasks") == "1 new task — show"
    assert page.locator(row(newest.task_id)).count() == 0, "held back, not pushed in above the reader"
    assert page.locator(row(second.task_id)).bounding_box()["y"] == place
    assert page.is_checked(ticked) and page.evaluate("window.notReloaded === true")

    page.click("#show-new-tasks")
    assert page.eval_on_selector_all("#task-rows tr[data-task]", "rows => rows[0].dataset.task") == newest.task_id
    assert page.is_checked(ticked) and page.evaluate("window.notReloaded === true")
    assert page.evaluate("document.activeElement.value") == newest.task_id  # the keyboard lands on what appeared


def test_the_list_fits_a_phone_and_an_older_page_stays_still(page, live_server, own_app):
    for n in range(3):
        services.enqueue("echo", [f"a rather long argument number {n} " * 3])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/tasks/")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert page.is_visible("#choose-page") and page.get_attribute("#task-rows", "data-url")
    page.goto(live_server.url + "/tasks/?task=echo&cursor=" + "x")  # a bad cursor: the error, no live rows
    assert page.locator("#task-rows").count() == 0
