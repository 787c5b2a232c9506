"""In a browser: after a refused submit the focus moves to what needs
fixing, a bad schedule's message shows once, the kwargs help follows the chosen task, and a periodic
task's Edit page explains its schedule live as it is typed."""

import pytest
from django_celery_beat.models import PeriodicTask

from tasks_app import services

pytestmark = pytest.mark.slow

MESSAGE = "The interval must be at least 1 minute"


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.name || document.activeElement.dataset.errorSummary")


def test_a_refused_form_focuses_the_bad_field_and_says_it_once(page, live_server, transactional_db):
    page.goto(live_server.url + "/")
    assert focused(page) in (None, "")  # nothing to fix yet: focus is left alone
    page.select_option("select[name=task]", "long_task")
    assert '{"seconds": 10}' in page.inner_text("#id_kwargs_helptext")  # its own example, not echo's
    page.fill("input[name=schedule]", "every 0 minutes")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'schedule'")
    page.wait_for_load_state("networkidle")  # the preview has had its chance to speak
    page.wait_for_timeout(300)
    assert page.inner_text("body").count(MESSAGE) == 1
    # Typing hands over to the live preview: the stale message goes, the preview says the new one.
    page.fill("input[name=schedule]", "every 2 hours")
    page.wait_for_selector("#schedule-preview li")
    assert MESSAGE not in page.inner_text("body")
    assert "Every 2 hours" in page.inner_text("#schedule-preview")


def test_the_edit_page_previews_a_schedule_live_and_saves_it(page, live_server, transactional_db):
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="thrice")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=3, enabled=False)  # finished
    page.goto(f"{live_server.url}/periodic/{task.pk}/")
    assert page.locator("text=Enable cannot help").count() == 1
    assert page.locator("button", has_text="Enable").count() == 0
    page.click("text=Edit…")

    page.wait_for_selector("#schedule-preview p")  # its schedule as it stands, explained at once
    assert "Every 10 seconds" in page.inner_text("#schedule-preview")
    # Enabling without a new schedule is refused; the focus goes to the summary that says why.
    page.check("input[name=enabled]")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.activeElement && 'errorSummary' in document.activeElement.dataset")
    assert "thrice stays disabled" in page.inner_text("[data-error-summary]")

    page.fill("input[name=schedule]", "every 2 hours, 2 times")
    page.wait_for_function("() => document.getElementById('schedule-preview').textContent.includes('Every 2 hours')")
    assert page.locator("#schedule-preview li").count() == 2  # its two runs, no more
    page.check("input[name=enabled]")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/periodic/{task.pk}/")
    assert "count of runs starts again" in page.inner_text("body")
    task.refresh_from_db()
    assert (task.enabled, task.total_run_count, task.interval.every, task.interval.period) == (True, 0, 2, "hours")
