"""A person in a browser: fill in the form, land on the status page, watch a long task finish.

Debian's Chromium driven by Playwright (`make test` installs the chromium package; Playwright's
own browser download cannot work on these machines)."""

import os
import shutil

import pytest
from django.conf import settings

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed; install it with: apt-get install chromium (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's guard against async contexts does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_a_long_task_from_the_form_to_its_result(page, live_server, celery_worker):
    page.goto(live_server.url + "/")
    page.select_option("select[name=task]", "long_task")
    assert page.input_value("textarea[name=args]") == "[10]"  # the task's example, prefilled
    assert page.input_value("select[name=queue]") == "low"  # and its own queue
    page.fill("textarea[name=args]", "[3]")
    page.fill("input[name=schedule]", "every 2 hours")
    page.wait_for_selector("#schedule-preview li")
    assert "Every 2 hours" in page.inner_text("#schedule-preview")
    page.fill("input[name=schedule]", "")
    page.click("button[type=submit]")

    page.wait_for_url("**/tasks/*/")
    progress_seen = set()
    for _ in range(200):
        progress_seen.add(int(page.get_attribute("[data-field=progress]", "value") or 0))
        if page.inner_text("[data-field=state]") == "SUCCESS":
            break
        page.wait_for_timeout(100)
    assert page.inner_text("[data-field=state]") == "SUCCESS"
    assert page.get_attribute("[data-field=progress]", "value") == "100"
    assert any(0 < percent < 100 for percent in progress_seen), progress_seen  # the bar moved
    assert '"seconds": 3' in page.inner_text("[data-field=result]")
    assert page.inner_text("[data-field=finished_at]").endswith(" UTC")
    shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "long_task_done.png"))
