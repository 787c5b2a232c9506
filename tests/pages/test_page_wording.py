"""What the pages say: real past tenses, one question per confirmation, names as the rest of the site
writes them, and nothing shown that did not happen."""

from datetime import timedelta

import pytest
from celery import uuid
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.models import TaskRecord
from tasks_app.validation import TaskInputError
from tests.support.celery import purge_queues

pytestmark = pytest.mark.django_db


def messages_after(response, client) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_bulk_actions_say_retried_and_revoked_not_retryd(client, celery_app, monkeypatch):
    record = TaskRecord.objects.create(
        task_id=uuid(), task_name="echo", args=["x"], kwargs={}, queue=settings.QUEUES["default"]
    )
    celery_app.backend.mark_as_failure(record.task_id, ValueError("boom"))
    try:
        html = messages_after(client.post("/tasks/retry/"), client)
        assert "Retried 1 failed task." in html
        html = messages_after(client.post("/tasks/revoke/"), client)
        assert "Revoked 1 queued or running task." in html  # the retry, still queued: no worker here
    finally:
        purge_queues(celery_app)

    def refused(*args, **kwargs):
        raise TaskInputError("The broker said no.")

    monkeypatch.setattr(services, "retry_failed", refused)
    monkeypatch.setattr(services, "revoke_unfinished", refused)
    assert "Nothing was retried." in messages_after(client.post("/tasks/retry/"), client)
    assert "Nothing was revoked." in messages_after(client.post("/tasks/revoke/"), client)


def main_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_periodic_pages_name_the_task_as_the_rest_of_the_site_does(client):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="daily")
    for path in ["/periodic/", f"/periodic/{task.pk}/", "/"]:
        html = main_of(client.get(path))
        assert "<code>echo</code>" in html, path
        assert "tasks_app.tasks.echo" not in html, path


def test_a_schedule_is_not_described_twice_in_the_same_words(client):
    bounded = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="three")
    services.schedule("echo", ["y"], schedule_text="*/15 * * * *", name="quarterly")
    for path in ["/periodic/", f"/periodic/{bounded.pk}/"]:
        html = main_of(client.get(path))
        assert "every 10 seconds, 3 times" in html, path
        assert "Every 10 seconds, 3 times" not in html, path
    assert "Every 15 minutes (UTC)" in main_of(client.get("/periodic/"))  # a description that adds something stays


def test_a_one_off_that_ran_says_it_finished(client):
    at = timezone.now() + timedelta(hours=1)
    task = services.schedule("echo", ["once"], schedule_text=f"at {at:%Y-%m-%d %H:%M}", name="once")
    assert "Finished" not in main_of(client.get(f"/periodic/{task.pk}/"))
    # What beat writes when it sends a one-off: the run counted, the time, and the row disabled.
    ran = at.replace(second=0, microsecond=0)
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=1, last_run_at=ran, enabled=False)
    html = main_of(client.get(f"/periodic/{task.pk}/"))
    assert f"<dt>Finished</dt><dd>Finished: it ran once, at {ran:%Y-%m-%d %H:%M:%S}.</dd>" in html


def test_periodic_confirmations_ask_once_and_name_the_way_back(client):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="daily")
    delete = main_of(client.get(f"/periodic/{task.pk}/delete/"))
    assert delete.count("?") == 1 and "<h1>Delete daily?</h1>" in delete
    assert "Cancel" not in delete and ">Keep it</a>" in delete
    run = main_of(client.get(f"/periodic/{task.pk}/run/"))
    assert run.count("?") == 1 and "Cancel" not in run and ">Back, without running it</a>" in run


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_task_confirmations_ask_once_and_name_the_way_back(client, celery_app):
    record = services.enqueue("echo", ["x"])
    try:
        revoke = main_of(client.get(f"/tasks/{record.task_id}/revoke/"))
        assert revoke.count("Revoke echo") == 1 and revoke.count("?") == 1
        assert "Cancel" not in revoke and ">Keep it queued</a>" in revoke
        bulk = main_of(client.get("/tasks/revoke/"))
        assert "Cancel" not in bulk and ">Keep them all</a>" in bulk
        purge = main_of(client.get("/dashboard/queues/default/purge/"))
        assert "Cancel" not in purge and ">Keep them queued</a>" in purge
    finally:
        purge_queues(celery_app)
    TaskRecord.objects.filter(pk=record.pk).update(state="FAILURE")
    celery_app.backend.mark_as_failure(record.task_id, ValueError("boom"))
    retry = main_of(client.get(f"/tasks/{record.task_id}/retry/"))
    assert retry.count("Retry echo") == 1 and retry.count("?") == 1
    assert "Cancel" not in retry and ">Back, without retrying</a>" in retry


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_only_a_task_that_reports_progress_shows_a_progress_bar(client, celery_app):
    def finished(name, args):
        record = TaskRecord.objects.create(
            task_id=uuid(), task_name=name, args=args, kwargs={}, queue=settings.QUEUES["default"]
        )
        celery_app.backend.mark_as_done(record.task_id, {"done": True})
        return client.get(f"/tasks/{record.task_id}/").content.decode()

    echo = finished("echo", ["hi"])
    assert '<div class="progress" data-field="progress-box" hidden>' in echo
    assert 'data-reports-progress="false"' in echo  # the page's script shows none either
    long = finished("long_task", [1])
    assert '<div class="progress" data-field="progress-box">' in long
    assert 'value="100"' in long


def test_date_filters_are_written_as_the_site_writes_dates(client):
    html = client.get("/tasks/", {"date_from": "2026-03-01"}).content.decode()
    assert 'type="date"' not in html  # Chromium shows a date input in the locale's mm/dd/yyyy
    assert '<input name="date_from" value="2026-03-01" placeholder="YYYY-MM-DD"' in html
    assert '<input name="date_to" value="" placeholder="YYYY-MM-DD"' in html


def test_the_tasks_chart_has_a_time_axis(client):
    import itertools
    import re
    from datetime import datetime

    html = client.get("/dashboard/").content.decode()
    axis = re.search(r'<div class="chart-axis muted" data-field="chart-axis">(.*?)</div>', html).group(1)
    labels = re.findall(r"<span>(.*?)</span>", axis)
    assert len(labels) == 5 and labels[-1] == "now", labels
    times = [datetime.strptime(label, "%H:%M") for label in labels[:-1]]
    assert [(later - earlier).seconds for earlier, later in itertools.pairwise(times)] == [900] * 3  # every 15 minutes
    assert "times in UTC" in html
