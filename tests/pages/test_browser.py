"""A person in a browser: fill in the form, land on the status page, watch a long task finish.

Debian's Chromium driven by Playwright (the `page` fixture in tests/conftest.py; `make test` installs
the chromium package; Playwright's own browser download cannot work on these machines)."""

import pytest
from django.conf import settings

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]


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


def test_an_echo_finishing_while_watched_shows_no_progress_bar(page, live_server, celery_app, transactional_db):
    from celery import uuid

    from tasks_app.models import TaskRecord

    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=["hi"], kwargs={}, queue=settings.QUEUES["default"]
    )
    page.goto(f"{live_server.url}/tasks/{record.task_id}/")
    celery_app.backend.mark_as_done(record.task_id, "hi")  # as its worker reports it, while the page polls
    page.wait_for_function("() => document.querySelector('[data-field=state]').textContent === 'SUCCESS'")
    assert page.is_hidden("[data-field=progress-box]")  # an echo reports no progress: no bar, not 100%
