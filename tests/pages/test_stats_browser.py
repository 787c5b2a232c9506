"""The dashboard's "Task types" in a browser on a phone: the page stays as wide as the screen while
the table scrolls sideways in its own box, which the keyboard reaches and scrolls; numbers line up on
the right; a slowest run's link opens its task; a run that finishes while it is open is counted
without a reload."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.support.stats_rows import finished_run

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}
LONG = "tasks_app.tasks.long_task"
ROW = f"tr[data-field='stats-{LONG}']"
WRAP = "div.table-wrap:has(table.dash-stats)"


def test_task_types_on_a_phone_from_the_keyboard(page, live_server, broker, transactional_db):
    now = timezone.now()
    slowest = finished_run(LONG, 7.5, done=now - timedelta(minutes=3), waited=0.25)
    finished_run(LONG, 1.5, status="FAILURE", done=now - timedelta(minutes=2), waited=0.5)
    finished_run("tasks_app.tasks.echo", 0.004, done=now - timedelta(minutes=1), waited=0.1)

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/dashboard/")
    assert page.inner_text(f"{ROW} [data-stat=runs-day]") == "2"
    assert page.inner_text(f"{ROW} [data-stat=success-rate]") == "50.0%"
    assert page.inner_text(f"{ROW} [data-stat=runtime-p95]") == "7.20 s"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    wrap = page.locator(WRAP)
    assert wrap.evaluate("box => box.scrollWidth > box.clientWidth"), "the table should scroll in its box"
    assert page.locator(f"{ROW} td.num").first.evaluate("cell => getComputedStyle(cell).textAlign") == "right"

    for _ in range(60):  # Tab through the page to the table's box
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement.matches('div.table-wrap') && !!document.activeElement.querySelector('.dash-stats')"
        ):
            break
    else:
        pytest.fail("Tab never reached the task types' table")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('div.table-wrap:has(table.dash-stats)').scrollLeft > 0")

    page.keyboard.press("Tab")  # on to the first link in the table: the slowest run of the busiest type
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/tasks/{slowest}/"
    shots = settings.BASE_DIR / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "phone-task-types.png"), full_page=True)

    finished_run(LONG, 1, done=timezone.now(), waited=0.1)  # the open page counts it at its next refresh
    page.wait_for_function(
        f"() => document.querySelector(\"{ROW} [data-stat=runs-day]\").textContent === '3'", timeout=15_000
    )
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tasks/{slowest}/")
