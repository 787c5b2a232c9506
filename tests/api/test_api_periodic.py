"""The periodic tasks API: list (by cursor), detail, create, change, delete, run now; who may do
which in production; and a real beat that acts on a change made through it."""

import json
import time

import pytest
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tasks_app import services
from tasks_app.models import ApiToken, TaskRecord
from tasks_app.selectors.periodic import site_tasks
from tests.support.periodic_rows import ERRORS, undescribable_rows
from tests.support.users import logged_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db


def make(name="nightly", schedule="0 3 * * *", args=("night",), **options) -> PeriodicTask:
    return services.schedule("echo", list(args), schedule_text=schedule, name=name, **options)


def row(task: PeriodicTask) -> dict:
    """Everything PATCH may change, as stored."""
    task = PeriodicTask.objects.get(pk=task.pk)
    return {
        "name": task.name,
        "args": task.args,
        "kwargs": task.kwargs,
        "queue": task.queue,
        "enabled": task.enabled,
        "schedule": (task.crontab_id, task.interval_id, task.clocked_id),
    }


# --- Create ---------------------------------------------------------------------------------


def test_create_answers_201_with_the_periodic_task_and_its_url(client):
    response = client.post(
        "/api/periodic/",
        {"task": "echo", "args": ["hi"], "schedule": "*/15 * * * *", "name": "q"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    task = PeriodicTask.objects.get(name="q")
    assert response["Location"] == body["url"] == f"/api/periodic/{task.pk}/"
    assert body["page"] == f"/periodic/{task.pk}/"
    assert body["schedule"] == "*/15 * * * *"
    assert body["description"].startswith("Every 15 minutes")
    assert body["args"] == ["hi"] and body["kwargs"] == {} and body["queue"] == "default"
    assert body["enabled"] is True and body["one_off"] is False
    assert len(body["next_runs"]) == 5
    assert body["last_run_at"] is None and body["total_run_count"] == 0 and body["recent_runs"] == []


def test_enqueue_with_a_schedule_creates_a_periodic_task_instead(client):
    response = client.post(
        "/api/tasks/", {"task": "echo", "args": [1], "schedule": "every 2 hours"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["schedule"] == "every 2 hours"
    assert response.json()["name"].startswith("echo ")
    assert not TaskRecord.objects.exists()  # scheduled, not sent


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/periodic/", {"task": "echo", "args": [1]}, "schedule", "The field 'schedule' is required."),
        ("/api/periodic/", {"task": "echo", "args": [1], "schedule": "every 0 minutes"}, "schedule", ""),
        ("/api/periodic/", {"task": "echo", "args": [1], "schedule": 5}, "schedule", "The schedule must be text"),
        ("/api/periodic/", {"task": "echo", "schedule": "@daily"}, "args", "missing a required argument"),
        ("/api/periodic/", {"task": "echo", "args": [1], "schedule": "@daily", "name": "a\x00b"}, "name", "U+0000"),
        ("/api/tasks/", {"task": "echo", "args": [1], "name": "lonely"}, "name", "A name is only for a periodic task"),
    ],
)
def test_create_refuses_what_the_form_refuses(client, path, body, field, message):
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["error"]
    assert not site_tasks().exists()


# --- List, by cursor ------------------------------------------------------------------------


def test_the_list_pages_by_cursor_in_name_order_without_repeats(client):
    for name in ["e", "a", "g", "c", "b", "f", "d"]:
        make(name=name)
    names, path, pages = [], "/api/periodic/?limit=3", 0
    while path:
        response = client.get(path)
        assert response.status_code == 200, response.content
        body = response.json()
        names += [task["name"] for task in body["results"]]
        if pages == 0:
            make(name="aa")  # added behind the cursor: it neither repeats a row nor shifts the pages
        path, pages = body["next"], pages + 1
    assert names == ["a", "b", "c", "d", "e", "f", "g"]
    assert pages == 3


def test_the_list_leaves_out_celerys_own_cleanup_task(client):
    make(name="mine")
    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    PeriodicTask.objects.create(name="celery.backend_cleanup", task="celery.backend_cleanup", interval=every_day)
    assert [task["name"] for task in client.get("/api/periodic/").json()["results"]] == ["mine"]
    cleanup = PeriodicTask.objects.get(name="celery.backend_cleanup")
    assert client.delete(f"/api/periodic/{cleanup.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=nonsense", "cursor")],
)
def test_a_bad_limit_or_cursor_is_a_400(client, query, field):
    response = client.get(f"/api/periodic/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


# --- Detail, run now, delete ----------------------------------------------------------------


def test_detail_lists_recent_runs_and_run_now_sends_one(client):
    task = make()
    response = client.post(f"/api/periodic/{task.pk}/run/", content_type="application/json")
    assert response.status_code == 202, response.content
    run = response.json()
    assert run["state"] == "QUEUED" and run["url"] == f"/api/tasks/{run['id']}/"
    assert TaskRecord.objects.get(task_id=run["id"]).periodic_task_name == "nightly"
    detail = client.get(f"/api/periodic/{task.pk}/").json()
    assert [r["id"] for r in detail["recent_runs"]] == [run["id"]]
    assert detail["schedule"] == "0 3 * * *" and detail["description"].startswith("At 03:00")


def test_delete_removes_it_and_then_it_is_unknown(client):
    task = make()
    response = client.delete(f"/api/periodic/{task.pk}/")
    assert response.status_code == 204
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()
    assert client.get(f"/api/periodic/{task.pk}/").json() == {
        "error": f"No periodic task with id {task.pk} is known to this site.",
        "field": "id",
    }


def test_a_delete_needs_no_content_type_but_one_with_a_form_body_is_refused(client):
    task = make()
    response = client.delete(
        f"/api/periodic/{task.pk}/", data="confirm=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert PeriodicTask.objects.filter(pk=task.pk).exists()
    assert client.delete(f"/api/periodic/{task.pk}/").status_code == 204


# --- Change ---------------------------------------------------------------------------------


def test_patch_changes_schedule_args_kwargs_queue_enabled_and_name(client):
    task = make()
    change = {"schedule": "every 10 minutes", "args": [], "kwargs": {"value": "v"}, "queue": "high", "enabled": False}
    response = client.patch(f"/api/periodic/{task.pk}/", {**change, "name": "renamed"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["schedule"] == "every 10 minutes" and body["args"] == [] and body["kwargs"] == {"value": "v"}
    assert body["queue"] == "high" and body["enabled"] is False and body["name"] == "renamed"
    stored = PeriodicTask.objects.get(pk=task.pk)
    assert stored.interval.every == 10 and stored.crontab is None
    assert json.loads(stored.kwargs) == {"value": "v"}


def test_renaming_keeps_the_runs_it_made(client):
    task = make()
    run = services.run_now(task)
    client.patch(f"/api/periodic/{task.pk}/", {"name": "renamed"}, content_type="application/json")
    assert TaskRecord.objects.get(pk=run.pk).periodic_task_name == "renamed"
    assert [r["id"] for r in client.get(f"/api/periodic/{task.pk}/").json()["recent_runs"]] == [run.task_id]


def test_a_one_off_becomes_recurring(client):
    task = make(schedule="at 2030-01-01 10:00")
    assert PeriodicTask.objects.get(pk=task.pk).one_off is True
    body = client.patch(f"/api/periodic/{task.pk}/", {"schedule": "@hourly"}, content_type="application/json").json()
    assert body["one_off"] is False and body["schedule"] == "0 * * * *"
    assert PeriodicTask.objects.get(pk=task.pk).clocked is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"schedule": "every blue moon"}, "schedule", ""),
        ({"schedule": None}, "schedule", "The schedule must be text"),
        ({"args": [1, 2]}, "args", "These arguments do not fit echo(value)"),
        ({"args": "x"}, "args", "Args must be a JSON list"),
        ({"kwargs": {"value": 1}}, "args", "multiple values for argument 'value'"),  # with the stored args
        ({"queue": "urgent"}, "queue", "Unknown queue 'urgent'"),
        ({"enabled": "yes"}, "enabled", "Enabled must be true or false."),
        ({"enabled": None}, "enabled", "Enabled must be true or false."),
        ({"name": ""}, "name", "a periodic task keeps a name"),
        ({"name": "other"}, "name", "A periodic task named 'other' already exists."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"task": "fetch_url"}, "task", "Unknown field 'task'"),
        ({}, None, "Nothing to change"),
        # A valid change beside an invalid one changes nothing either.
        ({"enabled": False, "args": [{"k": float("inf")}]}, None, "not valid JSON"),
        ({"enabled": False, "queue": "nowhere"}, "queue", "Unknown queue"),
    ],
)
def test_patch_validates_like_creation_and_changes_nothing_on_error(client, change, field, message):
    task = make()
    make(name="other")
    before = row(task)
    response = client.patch(f"/api/periodic/{task.pk}/", change, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json().get("field") == field
    assert message in response.json()["error"]
    assert row(task) == before


def test_patch_on_a_task_this_site_does_not_run_is_refused(client):
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    foreign = PeriodicTask.objects.create(name="theirs", task="someone.elses.task", interval=every)
    response = client.patch(f"/api/periodic/{foreign.pk}/", {"enabled": False}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "task"
    assert PeriodicTask.objects.get(pk=foreign.pk).enabled is True


# --- Who may (production settings) ----------------------------------------------------------

no_rate_limits = pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 0, "schedule": 0})


@no_rate_limits
def test_anonymous_visitors_get_a_401(production):
    task = make()
    anonymous = Client()
    for method, path in [
        ("get", "/api/periodic/"),
        ("get", f"/api/periodic/{task.pk}/"),
        ("delete", f"/api/periodic/{task.pk}/"),
    ]:
        response = getattr(anonymous, method)(path)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@no_rate_limits
def test_users_may_read_but_only_staff_may_change(production, alice, staff):
    task = make()
    before = row(task)
    as_alice = logged_in(alice)
    assert as_alice.get("/api/periodic/").status_code == 200
    assert as_alice.get(f"/api/periodic/{task.pk}/").status_code == 200
    refused = [
        as_alice.post(
            "/api/periodic/", {"task": "echo", "args": [1], "schedule": "@daily"}, content_type="application/json"
        ),
        as_alice.post(
            "/api/tasks/", {"task": "echo", "args": [1], "schedule": "@daily"}, content_type="application/json"
        ),
        as_alice.patch(f"/api/periodic/{task.pk}/", {"enabled": False}, content_type="application/json"),
        as_alice.post(f"/api/periodic/{task.pk}/run/", content_type="application/json"),
        as_alice.delete(f"/api/periodic/{task.pk}/"),
    ]
    for response in refused:
        assert response.status_code == 403, response.content
        assert response.json() == {"error": "Only staff may schedule or change periodic tasks."}
    assert row(task) == before
    assert site_tasks().count() == 1
    assert not TaskRecord.objects.exists()

    as_staff = logged_in(staff)
    disabled = as_staff.patch(f"/api/periodic/{task.pk}/", {"enabled": False}, content_type="application/json")
    assert disabled.status_code == 200
    assert as_staff.post(f"/api/periodic/{task.pk}/run/", content_type="application/json").status_code == 202
    assert as_staff.delete(f"/api/periodic/{task.pk}/").status_code == 204


@no_rate_limits
def test_a_staff_token_changes_without_csrf_but_a_session_needs_it(production, staff):
    token = ApiToken(user=staff, name="script")
    key = token.issue()
    token.save()
    task = make()
    client = Client(enforce_csrf_checks=True)
    response = client.patch(
        f"/api/periodic/{task.pk}/",
        {"enabled": False},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.content
    client.force_login(staff)
    response = client.patch(f"/api/periodic/{task.pk}/", {"enabled": True}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF check failed")
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


# --- A real beat acts on changes made through the API ---------------------------------------


def runs_with(name: str, args: list) -> int:
    return sum(1 for record in TaskRecord.objects.filter(periodic_task_name=name) if record.args == args)


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_beat_notices_a_change_made_through_the_api(client, celery_worker, celery_beat):
    created = client.post(
        "/api/periodic/",
        {"task": "echo", "args": ["before"], "schedule": "every 2 seconds"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    url, name = created.json()["url"], created.json()["name"]
    wait_for(lambda: runs_with(name, ["before"]), timeout=20, message="beat to send the first schedule's run")

    assert client.patch(url, {"args": ["after"]}, content_type="application/json").status_code == 200
    wait_for(lambda: runs_with(name, ["after"]), timeout=20, message="beat to send the changed args")

    assert client.patch(url, {"enabled": False}, content_type="application/json").status_code == 200
    time.sleep(7)  # beat re-reads changed schedules on its next tick (at most 5 s)
    settled = TaskRecord.objects.filter(periodic_task_name=name).count()
    time.sleep(5)  # more than two intervals: an enabled task would have run again
    assert TaskRecord.objects.filter(periodic_task_name=name).count() == settled


# --- Schedules that cannot be summarised ------------------------------------------------------

# Schedules whose runs go past year 9999: each was saved, then answered 500, then broke every list for everyone.
PAST_THE_CALENDAR = [
    "@yearly, 8000 times",
    "every 1000 days, 5000 times",
    "0 0 29 2 *, 10000 times",
    "0 0 31 12 *, 9000 times",
]
# A superscript two (isdigit() but not int()), an Arabic-Indic five, mathematical bold digits.
OTHER_DIGITS = [", \u00b2 times", "every day, \u00b2 times", "every day, \u0665 times", "every \U0001d7d3 minutes"]
OTHER_DIGITS += ["*/\U0001d7cf\U0001d7d3 * * * *"]


@pytest.mark.parametrize("schedule", PAST_THE_CALENDAR + OTHER_DIGITS)
def test_create_patch_and_preview_refuse_what_could_not_be_summarised_before_saving(client, schedule):
    says = "would still be running after 9999-12-30" if schedule in PAST_THE_CALENDAR else "the digits 0-9"
    created = client.post(
        "/api/periodic/", {"task": "echo", "args": [1], "schedule": schedule}, content_type="application/json"
    )
    assert created.status_code == 400, created.content
    assert created.json()["field"] == "schedule" and says in created.json()["error"]
    assert not site_tasks().exists()

    task = make()
    before = row(task)
    patched = client.patch(f"/api/periodic/{task.pk}/", {"schedule": schedule}, content_type="application/json")
    assert patched.status_code == 400 and says in patched.json()["error"]
    assert row(task) == before

    preview = client.get("/api/schedules/preview/", {"text": schedule})
    assert preview.status_code == 400 and says in preview.json()["error"]
    assert client.get("/api/periodic/").status_code == 200


def test_as_many_runs_as_fit_before_the_last_date_are_accepted(client):
    def create(schedule):
        return client.post(
            "/api/periodic/", {"task": "echo", "args": [1], "schedule": schedule}, content_type="application/json"
        )

    refused = create("@yearly, 8000 times")
    fit = int(refused.json()["error"].split("Write at most ")[1].split(" times")[0].replace(",", ""))
    accepted = create(f"@yearly, {fit} times")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["runs_left"] == f"{fit:,} runs, the last at 9999-01-01 00:00 (UTC)."
    assert create(f"@yearly, {fit + 1} times").status_code == 400


def test_the_list_and_detail_show_a_row_they_cannot_describe_with_its_error(client):
    rows = undescribable_rows()
    make(name="good")
    response = client.get("/api/periodic/?limit=100")
    assert response.status_code == 200
    listed = {task["name"]: task for task in response.json()["results"]}
    assert listed["good"]["error"] is None and len(listed["good"]["next_runs"]) == 5
    for name, task in rows.items():
        assert ERRORS[name] in listed[name]["error"], name
        assert (listed[name]["next_runs"], listed[name]["runs_left"]) == ([], None)
        detail = client.get(f"/api/periodic/{task.pk}/")
        assert detail.status_code == 200, name
        assert ERRORS[name] in detail.json()["error"]
        # A change that leaves the schedule alone answers with the row as it stands, error and all.
        disabled = client.patch(f"/api/periodic/{task.pk}/", {"enabled": False}, content_type="application/json")
        assert disabled.status_code == 200, (name, disabled.content)
