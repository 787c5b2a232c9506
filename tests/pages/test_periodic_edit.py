"""A periodic task's Edit page, Clone, "Run again with changes…", and Enable where it cannot help."""

import html
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from celery import uuid
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tasks_app.models import TaskRecord

pytestmark = pytest.mark.django_db


def finished_after_three() -> PeriodicTask:
    """`every 10 seconds, 3 times`, done: beat sent its three runs and disabled it."""
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="thrice")
    for _ in range(3):
        TaskRecord.objects.create(task_id=uuid(), task_name="echo", args=["x"], queue="q", periodic_task_name="thrice")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=3, enabled=False)
    return PeriodicTask.objects.get(pk=task.pk)


def spent_one_off() -> PeriodicTask:
    soon = timezone.localtime() + timedelta(minutes=5)
    task = services.schedule("echo", ["x"], schedule_text=f"at {soon:%Y-%m-%d %H:%M}", name="once")
    task.clocked.clocked_time = timezone.now() - timedelta(minutes=1)
    task.clocked.save()
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=1, enabled=False)
    return PeriodicTask.objects.get(pk=task.pk)


def edit_form(page: str, **changes) -> dict:
    """What the browser would send from a rendered task form, with `changes` typed in."""
    page = html.unescape(page)
    data = {name: _value(page, name) for name in ("task", "args", "kwargs", "queue", "schedule", "name")}
    data.update(enabled="on" if 'name="enabled" id="id_enabled" checked' in page else "")
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def _value(page: str, name: str) -> str:
    """A field's value in a rendered form: an input's value, a textarea's text, a select's selected option."""
    if f'<textarea name="{name}"' in page:
        start = page.index(">", page.index(f'<textarea name="{name}"')) + 1
        return page[start : page.index("</textarea>", start)].lstrip("\n")
    if f'<select name="{name}"' in page:
        select = page[page.index(f'<select name="{name}"') :]
        select = select[: select.index("</select>")]
        chosen = select[: select.index(" selected>")]
        return chosen[chosen.rindex('value="') + 7 : chosen.rindex('"')]
    tag = page[page.index(f'name="{name}"') :]
    tag = tag[: tag.index(">")]
    return tag[tag.index('value="') + 7 : tag.index('"', tag.index('value="') + 7)] if 'value="' in tag else ""


def open_edit(client, task) -> str:
    response = client.get(f"/periodic/{task.pk}/edit/")
    assert response.status_code == 200
    return response.content.decode()


# --- Item 1: one rule for Enable, both kinds ---------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [(finished_after_three, "it has made 3 of its 3 runs"), (spent_one_off, "it was a one-off for ")],
)
def test_enable_on_a_finished_task_is_refused_alike_on_the_page_and_the_api(client, make, reason):
    task = make()
    page = client.post(f"/periodic/{task.pk}/enable/", follow=True).content.decode()
    assert f"{task.name} stays disabled: {reason}" in html.unescape(page)
    assert "Enabling it cannot give it new runs" in page
    assert f"{task.name} is enabled" not in page  # no flash that reads as if it was
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False

    refused = client.patch(f"/api/periodic/{task.pk}/", {"enabled": True}, content_type="application/json")
    assert refused.status_code == 409
    assert f"{task.name} stays disabled: {reason}" in refused.json()["error"]
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


@pytest.mark.parametrize("make", [finished_after_three, spent_one_off])
def test_the_page_offers_edit_not_enable_where_enable_cannot_help(client, make):
    task = make()
    page = client.get(f"/periodic/{task.pk}/").content.decode()
    assert f'action="/periodic/{task.pk}/enable/"' not in page
    assert "Enable cannot help:" in page
    assert f'href="/periodic/{task.pk}/edit/"' in page


def test_a_disabled_task_with_runs_to_come_still_offers_enable(client):
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 3 times", name="paused")
    services.set_enabled(task, False)
    page = client.get(f"/periodic/{task.pk}/").content.decode()
    assert f'action="/periodic/{task.pk}/enable/"' in page and "Enable cannot help" not in page
    client.post(f"/periodic/{task.pk}/enable/")
    assert PeriodicTask.objects.get(pk=task.pk).enabled is True


# --- Item 2: the Edit page ------------------------------------------------------------------


def test_the_edit_page_is_the_task_form_filled_in_with_its_limits_and_preview(client):
    task = services.schedule("long_task", [3], queue="high", schedule_text="every 10 seconds, 3 times", name="lt")
    page = html.unescape(open_edit(client, task))
    assert (_value(page, "task"), _value(page, "args"), _value(page, "queue")) == ("long_task", "[3]", "high")
    assert _value(page, "schedule") == "every 10 seconds, 3 times"  # with its limit
    assert _value(page, "name") == "lt"
    assert 'name="enabled" id="id_enabled" checked' in page
    assert 'id="schedule-preview"' in page and 'id="task-examples"' in page and "task_form.js" in page
    assert "Changing it starts the count of runs again" in page


def test_saving_an_edit_keeps_the_runs_and_the_count_unless_the_schedule_changes(client):
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 5 times", name="five")
    TaskRecord.objects.create(task_id=uuid(), task_name="echo", args=["x"], queue="q", periodic_task_name="five")
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=1)
    page = open_edit(client, task)

    response = client.post(f"/periodic/{task.pk}/edit/", edit_form(page, args='["y"]', name="renamed"), follow=True)
    page = response.content.decode()
    assert "Saved renamed." in page and "count of runs starts again" not in page
    task.refresh_from_db()
    assert (task.name, json.loads(task.args), task.total_run_count, task.enabled) == ("renamed", ["y"], 1, True)
    assert TaskRecord.objects.filter(periodic_task_name="renamed").count() == 1  # its runs came along

    page = open_edit(client, task)
    response = client.post(f"/periodic/{task.pk}/edit/", edit_form(page, schedule="every 20 seconds, 2 times"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.interval.every, task.run_limit.max_runs, task.total_run_count) == (20, 2, 0)
    flashed = client.get(response["Location"]).content.decode()
    assert "Its schedule changed, so its count of runs starts again." in flashed


def test_an_edit_can_change_the_task_and_give_a_finished_task_new_runs(client):
    task = finished_after_three()
    page = open_edit(client, task)
    data = edit_form(page, task="long_task", args="[2]", queue="low", schedule="every 1 minutes, 2 times", enabled="on")
    assert client.post(f"/periodic/{task.pk}/edit/", data).status_code == 302
    task.refresh_from_db()
    assert (task.task, task.queue, task.enabled, task.total_run_count) == (
        "tasks_app.tasks.long_task",
        task.queue,
        True,
        0,
    )
    assert task.queue.endswith(".low")
    assert TaskRecord.objects.filter(periodic_task_name="thrice").count() == 3


def test_enabling_a_finished_task_in_the_edit_form_without_a_new_schedule_is_refused(client):
    task = finished_after_three()
    page = open_edit(client, task)
    assert "It has finished (it has made 3 of its 3 runs): give it a new schedule to enable it." in page
    response = client.post(f"/periodic/{task.pk}/edit/", edit_form(page, enabled="on"))
    assert response.status_code == 400
    assert "thrice stays disabled" in response.content.decode()
    assert "data-error-summary" in response.content.decode()  # form_errors.js moves focus there
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"schedule": "every 0 minutes"}, "schedule", "The interval must be at least 1 minute"),
        ({"schedule": ""}, "schedule", "This field is required."),
        ({"args": "[1, 2]"}, "args", "too many positional arguments"),
        ({"task": "long_task", "args": "[0]"}, "args", "Argument &#x27;seconds&#x27; must be from 1 to 600"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_an_edit_is_validated_like_a_new_task_and_changes_nothing_on_error(client, change, field, message):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="daily")
    before = PeriodicTask.objects.filter(pk=task.pk).values().get()
    page = open_edit(client, task)
    response = client.post(f"/periodic/{task.pk}/edit/", {**edit_form(page), **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and message in page
    assert PeriodicTask.objects.filter(pk=task.pk).values().get() == before


def test_the_edit_page_is_for_staff_only(client, production, alice):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="daily")
    client.force_login(alice)
    assert client.get(f"/periodic/{task.pk}/edit/").status_code == 403
    assert client.post(f"/periodic/{task.pk}/edit/", {"name": "mine"}).status_code == 403


def test_a_task_this_site_does_not_run_is_left_to_the_admin(client):
    task = services.schedule("echo", ["x"], schedule_text="@daily", name="foreign")
    PeriodicTask.objects.filter(pk=task.pk).update(task="other.app.task")
    page = html.unescape(client.get(f"/periodic/{task.pk}/edit/", follow=True).content.decode())
    assert "'other.app.task' is not a task this site runs; change foreign in the admin." in page
    assert client.post(f"/periodic/{task.pk}/edit/", {"task": "echo", "name": "x"}).status_code == 302
    assert PeriodicTask.objects.get(pk=task.pk).task == "other.app.task"  # not silently turned into echo


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def link(page: str, text: str) -> str:
    end = page.index(f">{text}</a>")
    start = page.rindex('href="', 0, end) + 6
    return html.unescape(page[start : page.index('"', start)])


def test_clone_opens_the_form_filled_in_and_makes_a_second_task(client):
    task = services.schedule("long_task", [4], queue="high", schedule_text="every 2 hours, 3 times", name="src")
    url = link(client.get(f"/periodic/{task.pk}/").content.decode(), "Clone…")
    assert query_of(url) == {
        "task": "long_task",
        "args": "[4]",
        "kwargs": "{}",
        "queue": "high",
        "schedule": "every 2 hours, 3 times",
        "name": "src (copy)",
    }
    form = html.unescape(client.get(url).content.decode())
    assert (_value(form, "task"), _value(form, "args"), _value(form, "queue")) == ("long_task", "[4]", "high")
    assert (_value(form, "schedule"), _value(form, "name")) == ("every 2 hours, 3 times", "src (copy)")
    assert client.post("/", query_of(url)).status_code == 302
    clone = PeriodicTask.objects.get(name="src (copy)")
    assert (clone.task, clone.args, clone.run_limit.max_runs) == (task.task, "[4]", 3)


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_run_again_with_changes_opens_the_run_form_filled_in(client, celery_app):
    record = services.enqueue("fetch_url", [], {"url": "https://example.com/a?b=1&c=2"}, "high")
    page = client.get(f"/tasks/{record.task_id}/").content.decode()
    url = link(page, "Run again with changes…")
    assert query_of(url) == {
        "task": "fetch_url",
        "args": "[]",
        "kwargs": '{"url": "https://example.com/a?b=1&c=2"}',
        "queue": "high",
    }
    form = html.unescape(client.get(url).content.decode())
    assert _value(form, "task") == "fetch_url" and _value(form, "queue") == "high"
    assert _value(form, "kwargs") == '{"url": "https://example.com/a?b=1&c=2"}'
    assert _value(form, "schedule") == ""  # it runs once, unless the person adds a schedule
    assert TaskRecord.objects.count() == 1  # opening the form sends nothing
