"""A task's timeline in a browser: an ordered list of times a person can hover for the exact time,
that fits a phone, and that follows the task while its page is open."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app.models import TaskRecord

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

PHONE = {"width": 390, "height": 844}


def test_the_timeline_fits_a_phone_shows_exact_times_on_hover_and_follows_the_task(
    page, live_server, broker, transactional_db
):
    sent = timezone.now() - timedelta(seconds=3)
    TaskRecord.objects.create(task_id="timeline-page", task_name="echo", args=["x" * 80], queue="q", sent_from="api")
    TaskRecord.objects.filter(task_id="timeline-page").update(created_at=sent)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/tasks/timeline-page/")
    items = page.locator("ol.timeline > li")
    assert items.count() == 1 and "from the API" in items.first.inner_text()

    # The worker reports: the open page draws the new events from the API, times and gaps included.
    TaskResult.objects.create(
        task_id="timeline-page",
        task_name="tasks_app.tasks.echo",
        status="SUCCESS",
        result=json.dumps("x" * 80),
        content_type="application/json",
        content_encoding="utf-8",
        worker="celery@a-worker-with-a-rather-long-host-name.example.internal",
        date_started=sent + timedelta(milliseconds=250),
    )
    page.wait_for_function("() => document.querySelectorAll('ol.timeline > li').length === 3", timeout=15_000)
    texts = [items.nth(position).inner_text() for position in range(3)]
    assert re.match(r"\d\d:\d\d:\d\d\.\d{3} \+250 ms", texts[1]) and "Started" in texts[1]
    assert "Finished" in texts[2] and "SUCCESS" in texts[2]
    time = page.locator("ol.timeline time").nth(1)
    assert time.get_attribute("datetime").startswith(str(timezone.localtime(sent).date()))
    assert time.get_attribute("title").endswith(page.locator("#task-status").get_attribute("data-time-zone"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "phone-timeline.png"), full_page=True)

    # Drawn by the server too, the same list.
    page.reload()
    assert page.locator("ol.timeline > li").count() == 3
    assert "+250 ms" in page.locator("ol.timeline > li").nth(1).inner_text()
