"""Who may do what in production settings: logins, staff, owners, API tokens and rate limits.

Local mode (every other test file) keeps working with no login at all.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tasks_app.models import ApiToken, TaskRecord, WindowCount
from tests.support.celery import app_on_broker
from tests.support.users import PASSWORD, logged_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("production"),
    pytest.mark.production(RATE_LIMITS_PER_MINUTE={"enqueue": 0, "schedule": 0}),
]

NOWHERE = "amqp://guest:guest@127.0.0.1:1//"


def api_post(client, body, path="/api/tasks/", **headers):
    return client.post(path, body, content_type="application/json", headers=headers)


@pytest.fixture
def periodic():
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    return PeriodicTask.objects.create(name="hourly", task="tasks_app.tasks.echo", args='["x"]', interval=every)


def started_by(user: User) -> TaskRecord:
    response = api_post(logged_in(user), {"task": "echo", "args": [user.username]})
    assert response.status_code == 202, response.content
    return TaskRecord.objects.get(task_id=response.json()["id"])


# --- Logins ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/tasks/abc/", "/periodic/"])
def test_pages_send_anonymous_visitors_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_the_login_page_logs_a_user_in_and_back_to_the_form(client, alice):
    page = client.get("/accounts/login/?next=/")
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert b"alice" in client.get("/").content


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/tasks/"), ("get", "/api/tasks/abc/"), ("get", "/api/schedules/preview/?text=@daily")],
)
def test_the_api_answers_anonymous_requests_with_a_401(client, method, path):
    response = getattr(client, method)(path, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Log in, or send an API token" in response.json()["error"]
    assert not TaskRecord.objects.exists()


def test_health_stays_public_for_the_platform(client):
    assert client.get("/api/health/").status_code in (200, 503)


def test_a_user_enqueues_from_the_form_and_owns_the_task(alice):
    client = logged_in(alice)
    response = client.post("/", {"task": "echo", "args": '["mine"]', "kwargs": "{}", "queue": "default"})
    assert response.status_code == 302
    assert TaskRecord.objects.get().owner == alice


# --- Staff -------------------------------------------------------------------------------


def test_only_staff_may_schedule_from_the_form(alice, staff):
    data = {"task": "echo", "args": '["x"]', "kwargs": "{}", "queue": "default", "schedule": "every 5 minutes"}
    refused = logged_in(alice).post("/", data)
    assert refused.status_code == 400
    assert "Only staff may schedule tasks; leave the schedule empty to run it now." in refused.content.decode()
    assert not PeriodicTask.objects.filter(task="tasks_app.tasks.echo").exists()
    assert not TaskRecord.objects.exists()  # refused, not quietly run now instead

    accepted = logged_in(staff).post("/", data)
    assert accepted.status_code == 302
    assert PeriodicTask.objects.filter(task="tasks_app.tasks.echo").count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/periodic/{pk}/disable/"),
        ("get", "/periodic/{pk}/run/"),
        ("post", "/periodic/{pk}/run/"),
        ("post", "/periodic/{pk}/delete/"),
    ],
)
def test_periodic_actions_are_for_staff_only(alice, staff, periodic, method, path):
    path = path.format(pk=periodic.pk)
    refused = getattr(logged_in(alice), method)(path)
    assert refused.status_code == 403
    assert b"Only staff may schedule or change periodic tasks." in refused.content
    periodic.refresh_from_db()
    assert periodic.enabled and not TaskRecord.objects.exists()

    assert getattr(logged_in(staff), method)(path).status_code in (200, 302)


def test_users_may_read_the_periodic_pages(alice, periodic):
    client = logged_in(alice)
    assert client.get("/periodic/").status_code == 200
    assert client.get(f"/periodic/{periodic.pk}/").status_code == 200


# --- Owners ------------------------------------------------------------------------------


def test_a_task_is_visible_to_its_owner_and_staff_and_unknown_to_anyone_else(alice, bob, staff):
    record = started_by(alice)
    for path in (f"/tasks/{record.task_id}/", f"/api/tasks/{record.task_id}/"):
        assert logged_in(alice).get(path).status_code == 200
        assert logged_in(staff).get(path).status_code == 200
        # The same 404 as for an id that never existed: nothing confirms that the id is real.
        assert logged_in(bob).get(path).status_code == 404
    assert "No task with id" in logged_in(bob).get(f"/api/tasks/{record.task_id}/").json()["error"]


def test_the_recent_tasks_on_the_form_are_the_users_own(alice, bob):
    mine, theirs = started_by(alice), started_by(bob)
    html = logged_in(alice).get("/").content.decode()
    assert mine.task_id in html
    assert theirs.task_id not in html


# --- API tokens --------------------------------------------------------------------------


def issue_token(user: User, name: str = "script") -> tuple[ApiToken, str]:
    token = ApiToken(user=user, name=name)
    key = token.issue()
    token.save()
    return token, key


def test_a_token_authenticates_api_requests_without_a_session_or_csrf(alice):
    token, key = issue_token(alice)
    client = Client(enforce_csrf_checks=True)
    response = api_post(client, {"task": "echo", "args": [1]}, Authorization=f"Bearer {key}")
    assert response.status_code == 202, response.content
    assert TaskRecord.objects.get().owner == alice
    detail = client.get(response.json()["url"], headers={"Authorization": f"Bearer {key}"})
    assert detail.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert key not in token.key_hash and token.hint == key[:8]  # only a hash is stored


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer hw_not-a-real-key", "This API token is not valid"),
        ("Basic YWxpY2U6c2VjcmV0", "Send the API token as 'Authorization: Bearer <token>'."),
        ("Bearer ", "Send the API token as"),
    ],
)
def test_a_bad_token_is_a_401_that_says_why(alice, header, message):
    response = api_post(Client(), {"task": "echo", "args": [1]}, Authorization=header)
    assert response.status_code == 401
    assert response.json()["error"].startswith(message)
    assert not TaskRecord.objects.exists()


def test_a_revoked_token_stops_working(alice):
    token, key = issue_token(alice)
    token.delete()
    response = api_post(Client(), {"task": "echo", "args": [1]}, Authorization=f"Bearer {key}")
    assert response.status_code == 401


def test_an_inactive_users_token_stops_working(alice):
    _, key = issue_token(alice)
    alice.is_active = False
    alice.save()
    assert api_post(Client(), {"task": "echo", "args": [1]}, Authorization=f"Bearer {key}").status_code == 401


def test_a_session_user_must_still_pass_csrf(alice):
    client = logged_in(alice, enforce_csrf_checks=True)
    response = api_post(client, {"task": "echo", "args": [1]})
    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF check failed")
    assert not TaskRecord.objects.exists()


def test_an_admin_issues_a_token_shown_once_and_revokes_it(alice):
    admin = User.objects.create_superuser("root", password=PASSWORD)
    client = logged_in(admin)
    response = client.post("/admin/tasks_app/apitoken/add/", {"user": alice.pk, "name": "deploy"}, follow=True)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    key = next(word for text in shown for word in text.split() if word.startswith(ApiToken.PREFIX))
    token = ApiToken.objects.get(name="deploy")
    assert token.key_hash == ApiToken.hash(key)
    assert api_post(Client(), {"task": "echo", "args": [1]}, Authorization=f"Bearer {key}").status_code == 202

    client.post(f"/admin/tasks_app/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert not ApiToken.objects.exists()
    assert api_post(Client(), {"task": "echo", "args": [1]}, Authorization=f"Bearer {key}").status_code == 401


# --- Rate limits -------------------------------------------------------------------------


def test_enqueue_past_the_limit_is_a_429_with_retry_after_and_nothing_sent(settings, alice, one_window):
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 3, "schedule": 0}
    client = logged_in(alice)
    for n in range(3):
        assert api_post(client, {"task": "echo", "args": [n]}).status_code == 202
    refused = api_post(client, {"task": "echo", "args": [3]})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"].startswith("Too many tasks sent: at most 3 a minute per user. Try again in")
    form = client.post("/", {"task": "echo", "args": "[4]", "kwargs": "{}", "queue": "default"})
    assert form.status_code == 429 and form["Retry-After"]
    assert "Too many tasks sent" in form.content.decode()
    assert TaskRecord.objects.count() == 3


def test_each_user_has_a_limit_of_their_own(settings, alice, bob, one_window):
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 1, "schedule": 0}
    assert api_post(logged_in(alice), {"task": "echo", "args": [1]}).status_code == 202
    assert api_post(logged_in(alice), {"task": "echo", "args": [2]}).status_code == 429
    assert api_post(logged_in(bob), {"task": "echo", "args": [3]}).status_code == 202


def test_schedule_past_the_limit_is_a_429(settings, staff, one_window):
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 0, "schedule": 1}
    client = logged_in(staff)
    data = {"task": "echo", "args": '["x"]', "kwargs": "{}", "queue": "default", "schedule": "@daily"}
    assert client.post("/", data).status_code == 302
    refused = client.post("/", data)
    assert refused.status_code == 429
    assert "Too many periodic tasks created: at most 1 a minute per user." in refused.content.decode()
    assert PeriodicTask.objects.filter(task="tasks_app.tasks.echo").count() == 1


def test_a_task_the_broker_refused_does_not_count_against_the_limit(settings, alice, one_window):
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 1, "schedule": 0}
    client = logged_in(alice)
    with app_on_broker(NOWHERE):
        assert api_post(client, {"task": "echo", "args": [1]}).status_code == 503
    assert not WindowCount.objects.filter(count__gt=0).exists()
    assert api_post(client, {"task": "echo", "args": [1]}).status_code == 202


def test_local_mode_needs_no_login_and_has_no_limits(settings, client):
    settings.LOCAL_MODE = True
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 1, "schedule": 1}
    for n in range(3):
        assert api_post(client, {"task": "echo", "args": [n]}).status_code == 202
    assert client.get("/").status_code == 200
    assert TaskRecord.objects.filter(owner=None).count() == 3
