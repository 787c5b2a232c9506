"""The pages a person uses: the form, the status page, the periodic task pages."""

import json
import re

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.broker import control
from tasks_app.models import TaskRecord
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db


def submit(client, **data):
    body = {"task": "echo", "args": '["hi"]', "kwargs": "", "queue": "default", "schedule": "", "name": ""}
    body.update(data)
    return client.post("/", body)


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_run_now_redirects_to_the_status_page_which_shows_queued_at_once(client, celery_app):
    response = submit(client, args='[{"n": 1}]', queue="high")
    record = TaskRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{record.task_id}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert ">QUEUED<" in html
    assert "<dt>Queue</dt><dd>high</dd>" in html  # the short name, as chosen
    assert "args [{&quot;n&quot;: 1}]" in html
    # No worker is running in this test: the page says so plainly.
    assert "No worker is running right now. The task is queued and will run when a worker starts" in html


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_the_status_page_follows_the_task_to_its_result(client, celery_worker):
    # The embedded worker answers remote control a moment after it starts: wait for that, so that
    # the page's "no worker" check below asks a worker that is really up.
    wait_for(control.any_worker_alive, timeout=20, message="the worker to answer a ping")
    response = submit(client, args="[0]")
    assert "No worker is running" not in client.get(response["Location"]).content.decode()
    task_id = response["Location"].split("/")[2]
    wait_for(lambda: client.get(f"/api/tasks/{task_id}/").json()["finished"], message="the task to finish")
    html = client.get(response["Location"]).content.decode()
    assert ">SUCCESS<" in html
    assert re.search(r'<pre data-field="result">0</pre>', html)  # a falsy result is still shown


def test_a_schedule_creates_one_periodic_task_and_redirects_to_it(client):
    response = submit(client, schedule="*/15 * * * *", name="quarterly echo", args='["q"]')
    task = PeriodicTask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/periodic/{task.pk}/"
    assert (task.name, task.task, json.loads(task.args)) == ("quarterly echo", "tasks_app.tasks.echo", ["q"])
    assert task.queue == settings.QUEUES["default"]
    assert task.crontab.minute == "*/15"
    assert not TaskRecord.objects.exists()  # scheduling sends nothing now
    html = client.get(response["Location"]).content.decode()
    assert "quarterly echo" in html and "*/15 * * * *" in html
    assert "No beat is running right now" in html


def test_an_identical_schedule_row_is_reused(client):
    submit(client, schedule="every 5 minutes")
    submit(client, schedule="every 5 minutes")
    first, second = PeriodicTask.objects.all()
    assert first.interval_id == second.interval_id
    assert first.name != second.name  # each gets its own unique suffix


def test_a_taken_name_is_a_form_error(client):
    submit(client, schedule="@daily", name="nightly")
    response = submit(client, schedule="@hourly", name="nightly")
    assert response.status_code == 400
    assert "A periodic task named &#x27;nightly&#x27; already exists." in response.content.decode()
    assert PeriodicTask.objects.count() == 1


def test_markup_in_arguments_comes_back_escaped(client):
    evil = "<script>alert(1)</script>"
    submit(client, schedule="@daily", name=evil, args=json.dumps([evil]))
    task = PeriodicTask.objects.get()
    for url in ("/", "/periodic/", f"/periodic/{task.pk}/"):
        html = client.get(url).content.decode()
        assert evil not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_unknown_task_id_is_a_404_page_that_says_so(client):
    response = client.get("/tasks/never-seen/")
    assert response.status_code == 404
    assert "This site has never sent a task with the id" in response.content.decode()


def test_periodic_actions_are_posts_behind_a_confirmation(client):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="daily")
    assert client.get(f"/periodic/{task.pk}/disable/").status_code == 405  # GET changes nothing
    client.post(f"/periodic/{task.pk}/disable/")
    task.refresh_from_db()
    assert task.enabled is False
    client.post(f"/periodic/{task.pk}/enable/")
    task.refresh_from_db()
    assert task.enabled is True

    confirm = client.get(f"/periodic/{task.pk}/delete/")
    assert "Delete daily?" in confirm.content.decode()
    assert PeriodicTask.objects.filter(pk=task.pk).exists()  # asking is not doing
    assert client.post(f"/periodic/{task.pk}/delete/")["Location"] == "/periodic/"
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_run_now_sends_one_run_linked_to_the_periodic_task(client, celery_app):
    task = services.schedule("echo", ["now"], schedule_text="@yearly", name="yearly")
    response = client.post(f"/periodic/{task.pk}/run/")
    record = TaskRecord.objects.get()
    assert response["Location"] == f"/tasks/{record.task_id}/"
    assert (record.periodic_task_name, record.args) == ("yearly", ["now"])
    assert f"/tasks/{record.task_id}/" in client.get(f"/periodic/{task.pk}/").content.decode()


def test_the_schedule_preview_explains_a_line_and_its_next_runs(client):
    body = client.get("/api/schedules/preview/", {"text": "*/15 * * * *"}).json()
    assert body["time_zone"] == "UTC"
    assert len(body["next_runs"]) == 5
    assert all(run[14:16] in {"00", "15", "30", "45"} for run in body["next_runs"])
    bad = client.get("/api/schedules/preview/", {"text": "*/15 * *"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "schedule"


def test_an_id_with_control_characters_is_a_404_not_a_database_error(client):
    response = client.get("/tasks/abc%00def/")
    assert response.status_code == 404
    assert "This site has never sent a task with the id" in response.content.decode()


def test_the_periodic_list_reads_schedule_rows_in_the_same_query(client, django_assert_max_num_queries):
    for n in range(5):
        services.schedule("echo", [n], schedule_text=["@daily", "every 5 minutes"][n % 2], name=f"p{n}")
    with django_assert_max_num_queries(3):  # the rows and their schedules in one query, however many
        assert client.get("/periodic/").status_code == 200
