"""What a keyboard, a screen reader or any reader of another alphabet meets on the server-drawn
pages: help texts the fields point at, a skip link, a named progress bar, letters as written
rather than JSON escapes, and an icon instead of a 404 on every page view."""

import logging
import re

import pytest
from django_celery_beat.models import PeriodicTask

from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db


def submit(client, **data):
    body = {"task": "echo", "args": '["hi"]', "kwargs": "", "queue": "default", "schedule": "", "name": ""}
    body.update(data)
    return client.post("/", body)


def test_every_aria_describedby_id_exists_on_the_form(client):
    for html in (client.get("/").content.decode(), submit(client, args="not json").content.decode()):
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        described = [name for value in re.findall(r'aria-describedby="([^"]+)"', html) for name in value.split()]
        assert described, "the fields point at their help texts"
        assert [name for name in described if name not in ids] == []


def test_a_skip_link_leads_to_the_main_content(client):
    html = client.get("/").content.decode()
    assert re.search(r'<a class="skip" href="#main">', html)
    assert '<main id="main"' in html
    assert html.index('class="skip"') < html.index("<header>")  # the first thing a keyboard reaches


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_non_ascii_arguments_and_results_read_as_written(client, celery_worker):
    response = submit(client, args='["café ü 東京"]')
    task_id = response["Location"].split("/")[2]
    wait_for(lambda: client.get(f"/api/tasks/{task_id}/").json()["finished"], message="the task to finish")
    html = client.get(response["Location"]).content.decode()
    assert "args [&quot;café ü 東京&quot;]" in html
    assert '<pre data-field="result">&quot;café ü 東京&quot;</pre>' in html
    assert "\\u00e9" not in html


def test_non_ascii_periodic_arguments_read_as_written(client):
    submit(client, schedule="@daily", name="ete", args='["été"]')
    task = PeriodicTask.objects.get(name="ete")
    assert "\\u00e9" in task.args  # as stored by json.dumps
    for url in ("/", "/periodic/", f"/periodic/{task.pk}/"):
        html = client.get(url).content.decode()
        assert "[&quot;été&quot;]" in html, url
        assert "\\u00e9" not in html, url


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_the_progress_bar_has_an_accessible_name_and_value(client, celery_app):
    html = client.get(submit(client)["Location"]).content.decode()
    bar = re.search(r"<progress [^>]*>", html).group(0)
    assert 'aria-label="Progress"' in bar
    assert 'aria-valuenow="0"' in bar and 'aria-valuemax="100"' in bar


def test_the_favicon_is_served_without_a_warning(client, caplog):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    with caplog.at_level(logging.WARNING):
        response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == icon
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
