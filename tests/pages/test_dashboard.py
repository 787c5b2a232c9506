"""The dashboard against the real brokers: tasks waiting with no worker, then a worker that drains
them and is listed, then gone; purge from the page; beat; counts; who may see and do what."""

import re
import signal
import urllib.request
from datetime import timedelta

import pytest
from celery.worker import state as worker_state
from django_celery_results.models import TaskResult

from tasks_app import services
from tasks_app.selectors import status
from tests.support import processes
from tests.support.celery import embedded_worker
from tests.support.own_queues import app_with_own_queues
from tests.support.users import logged_in
from tests.support.waiting import wait_for


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


def dashboard(client) -> dict:
    response = client.get("/api/dashboard/")
    assert response.status_code == 200, response.content
    return response.json()


def depths(data) -> dict:
    return {queue["name"]: queue["depth"] for queue in data["queues"]}


@pytest.mark.broker_bound
@pytest.mark.parametrize("broker", ["redis", "rabbitmq", "filesystem"], indirect=True)
def test_depths_with_no_worker_then_a_worker_drains_them_is_listed_and_then_shown_gone(own_app, client, settings):
    sent = [services.enqueue("echo", [n]).task_id for n in range(3)]
    sent += [services.enqueue("echo", ["later"], queue="low").task_id for _ in range(2)]

    waiting = dashboard(client)
    assert depths(waiting) == {"high": 0, "default": 3, "low": 2}
    assert waiting["workers"] == []
    assert waiting["counts"]["hour"]["QUEUED"] == 5
    assert b"No worker is running" in client.get("/dashboard/").content

    # Embedded workers share one process, and Celery counts tasks done per process.
    done_before = sum(worker_state.total_count.values())
    with embedded_worker(own_app) as worker:
        wait_for(lambda: all(status.get(task_id).state == "SUCCESS" for task_id in sent), message="the tasks to run")
        # Each broadcast has a one-second timeout; on a loaded machine a refresh can miss one of the
        # worker's answers (its stats: concurrency, processed), which a later refresh fills in.
        data = wait_for(
            lambda: (found := dashboard(client))["workers"] and found["workers"][0]["concurrency"] and found,
            message="the worker to be listed with its stats",
        )
        assert depths(data) == {"high": 0, "default": 0, "low": 0}
        [listed] = data["workers"]
        assert listed["name"] == worker.hostname
        assert listed["state"] == "alive"
        assert listed["queues"] == sorted(settings.QUEUES.values())
        assert listed["concurrency"] == 2
        assert listed["processed"] - done_before == 5
        assert listed["running"] == 0
        # At least these five: a task of an earlier test on this broker may report into the same hour.
        assert data["counts"]["hour"]["SUCCESS"] >= 5 and data["counts"]["hour"]["QUEUED"] == 0
        assert sum(bucket["succeeded"] for bucket in data["chart"]["buckets"]) >= 5
        wait_for(
            lambda: (
                worker.hostname in (page := client.get("/dashboard/?fragment=1").content.decode()) and "alive" in page
            ),
            message="the page to list the worker as alive",
        )

    [gone] = dashboard(client)["workers"]
    assert (gone["name"], gone["state"]) == (worker.hostname, "gone")
    assert gone["last_seen"] == listed["last_seen"] or gone["last_seen"] > listed["last_seen"]


@pytest.mark.parametrize("broker", ["redis", "rabbitmq", "filesystem"], indirect=True)
def test_purge_from_the_page_states_the_count_and_marks_each_dropped_task(own_app, client):
    dropped = [services.enqueue("echo", [n]).task_id for n in range(3)]
    kept = services.enqueue("long_task", [5]).task_id  # its catalog queue is low

    confirm = client.get("/dashboard/queues/default/purge/")
    assert confirm.status_code == 200
    assert b"<strong>3 tasks</strong>" in confirm.content
    response = client.post("/dashboard/queues/default/purge/", follow=True)
    assert response.status_code == 200
    assert b"Dropped 3 tasks from" in response.content

    for task_id in dropped:
        page = client.get(f"/tasks/{task_id}/").content.decode()
        assert "REVOKED" in page and "Dropped from queue" in page and "by the local user" in page
        assert client.get(f"/api/tasks/{task_id}/").json()["state"] == "REVOKED"
    assert status.get(kept).state == "QUEUED"
    assert depths(dashboard(client)) == {"high": 0, "default": 0, "low": 1}
    assert dashboard(client)["counts"]["hour"]["REVOKED"] == 3


def test_the_dashboard_right_after_a_purge_no_longer_shows_the_dropped_tasks(own_app, client, settings):
    # The snapshot is shared for a while (5 s on the site): the purge itself must refresh it.
    settings.MONITOR_REFRESH_SECONDS = 300
    for n in range(2):
        services.enqueue("echo", [n])
    assert depths(dashboard(client))["default"] == 2  # taken now, and kept for 300 s
    page = client.post("/dashboard/queues/default/purge/", follow=True).content.decode()
    assert "Dropped 2 tasks from" in page
    assert depths(dashboard(client))["default"] == 0
    assert dashboard(client)["counts"]["hour"]["QUEUED"] == 0


def test_tasks_dropped_by_celerys_own_purge_are_noticed_and_staff_mark_them_lost(own_app, client, monkeypatch):
    from tasks_app.services import lost

    monkeypatch.setattr(lost, "GRACE", timedelta(0))  # no waiting out the grace period
    dropped = [services.enqueue("echo", [n]).task_id for n in range(2)]
    assert own_app.control.purge() == 2  # what `celery purge` does: the records never hear of it

    page = client.get("/dashboard/").content.decode()
    assert re.search(
        r"<strong>2 tasks</strong> recorded as waiting in\s*<span class=\"mono\">[^<]+\.default</span>", page
    )
    assert "Mark them lost" in page
    confirm = client.get("/dashboard/lost/").content.decode()
    assert "<strong>2 tasks</strong>" in confirm
    response = client.post("/dashboard/lost/", follow=True)
    assert "Marked 2 tasks lost" in response.content.decode()

    for task_id in dropped:
        task = client.get(f"/api/tasks/{task_id}/").json()
        assert task["state"] == "FAILURE" and task["error"].startswith("TaskLost: Lost: queue ")
        assert "marked lost by the local user" in client.get(f"/tasks/{task_id}/").content.decode()
    assert dashboard(client)["counts"]["hour"]["QUEUED"] == 0
    assert "recorded as waiting in" not in client.get("/dashboard/").content.decode()


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_tasks_still_in_their_queue_are_not_suspected(own_app, client, monkeypatch):
    from tasks_app.services import lost

    monkeypatch.setattr(lost, "GRACE", timedelta(0))
    services.enqueue("echo", ["waiting"])
    assert "recorded as waiting in" not in client.get("/dashboard/").content.decode()
    client.post("/dashboard/lost/")
    assert dashboard(client)["counts"]["hour"]["QUEUED"] == 1


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_a_purge_cut_short_says_more_may_remain(own_app, client, monkeypatch):
    from tasks_app.broker import queues

    monkeypatch.setattr(queues, "PURGE_LIMIT", 1)
    services.enqueue("echo", ["a"])
    services.enqueue("echo", ["b"])
    page = client.post("/dashboard/queues/default/purge/", follow=True).content.decode()
    assert "Dropped 1 task from" in page and "may hold more tasks" in page and "Empty it again" in page
    assert depths(dashboard(client))["default"] == 1


def test_an_unknown_queue_has_no_purge_page(client, db):
    assert client.get("/dashboard/queues/nope/purge/").status_code == 404
    assert client.post("/dashboard/queues/nope/purge/").status_code == 404


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_json_shape(own_app, client):
    data = dashboard(client)
    assert set(data) == {
        "generated_at",
        "broker",
        "broker_error",
        "checked_at",
        "queues",
        "oldest_age_known",
        "workers",
        "beat",
        "counts",
        "chart",
    }
    assert data["broker"] == "filesystem" and data["oldest_age_known"] is True
    assert data["broker_error"] is None and data["checked_at"]
    assert [queue["name"] for queue in data["queues"]] == ["high", "default", "low"]
    assert set(data["queues"][0]) == {"name", "broker_name", "depth", "oldest_age_seconds", "consumers", "error"}
    assert set(data["beat"]) == {
        "alive",
        "last_tick",
        "leader",
        "latest_schedule_change",
        "seen_latest_schedule_change",
        "beats",
    }
    assert set(data["counts"]) == {"hour", "day"}
    assert set(data["counts"]["day"]) >= {"QUEUED", "STARTED", "SUCCESS", "FAILURE", "REVOKED"}
    assert data["chart"]["bucket_seconds"] == 60 and len(data["chart"]["buckets"]) == 60
    assert set(data["chart"]["buckets"][0]) == {"start", "succeeded", "failed"}


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_counts_and_chart_read_failures_from_the_result_table(own_app, client, settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # nothing listens on port 1: fails in the worker
    settings.FETCH_URL_MAX_RETRIES = 0  # fail at the first refusal: the retries are test_fetch_retry's
    with embedded_worker(own_app):
        good = services.enqueue("echo", ["fine"]).task_id
        bad = services.enqueue("fetch_url", ["http://127.0.0.1:1/"]).task_id
        wait_for(lambda: status.get(good).finished and status.get(bad).finished, message="both tasks to finish")
    assert TaskResult.objects.get(task_id=bad).status == "FAILURE"
    data = dashboard(client)
    assert (data["counts"]["hour"]["SUCCESS"], data["counts"]["hour"]["FAILURE"]) == (1, 1)
    assert sum(bucket["failed"] for bucket in data["chart"]["buckets"]) == 1
    # The chart's bars say what finished in their minute; the two may have finished in two minutes.
    bars = re.findall(r"(\d+) succeeded, (\d+) failed", client.get("/dashboard/").content.decode())
    assert [sum(int(bar[0]) for bar in bars), sum(int(bar[1]) for bar in bars)] == [1, 1]


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_beat_alive_leading_and_seeing_the_latest_schedule_change(celery_beat, client):
    def beat():
        return dashboard(client)["beat"]

    wait_for(lambda: beat()["alive"] and beat()["leader"], message="beat to lead")
    wait_for(lambda: beat()["seen_latest_schedule_change"] is True, message="beat to load the schedule")
    services.schedule("echo", ["tick"], schedule_text="every 1 hour", name="dash-seen")
    changed = beat()
    assert changed["latest_schedule_change"] is not None
    wait_for(lambda: beat()["seen_latest_schedule_change"] is True, timeout=15, message="beat to load the change")
    data = beat()
    assert data["leader"] == data["beats"][0]["node"] and data["beats"][0]["is_leader"]


# --- Who may see and do what, in production ---------------------------------------------------


def test_anonymous_visitors_must_log_in(production, client, db):
    assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/dashboard/").status_code == 401
    assert client.get("/dashboard/queues/default/purge/")["Location"].startswith("/accounts/login/")
    assert client.post("/dashboard/queues/default/purge/")["Location"].startswith("/accounts/login/")


def test_users_see_the_dashboard_but_only_staff_may_empty_a_queue(production, client, alice):
    client.force_login(alice)
    assert client.get("/api/dashboard/").status_code == 200
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"Empty" not in page.content
    assert client.get("/dashboard/queues/default/purge/").status_code == 403
    assert client.post("/dashboard/queues/default/purge/").status_code == 403
    assert client.get("/dashboard/lost/").status_code == 403
    assert client.post("/dashboard/lost/").status_code == 403


def test_staff_get_a_confirmation_and_the_purge_needs_csrf(production, staff):
    client = logged_in(staff, enforce_csrf_checks=True)
    assert client.get("/dashboard/queues/default/purge/").status_code == 200
    assert client.post("/dashboard/queues/default/purge/").status_code == 403  # no CSRF token
    assert client.get("/dashboard/queues/default/purge/?anything=1").status_code == 200
    assert client.post("/dashboard/lost/").status_code == 403  # no CSRF token


@pytest.mark.slow
def test_on_make_run_the_dashboard_shows_the_worker_and_beat_and_the_queues(tmp_path):
    """`make run` for real (honcho on Procfile.real, embedded defaults), read over HTTP."""
    env = processes.site_env(tmp_path)
    processes.manage(env, "migrate", "--noinput")
    processes.schedule(env, "echo", ["tick"], "every 1 hour", "hourly")
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile.real", [], env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)

        def ready():
            data = processes.http("GET", f"{base}/api/dashboard/")[1]
            # Alive, and its stats heard (a busy worker can miss one broadcast's one-second timeout).
            alive = [worker for worker in data["workers"] if worker["state"] == "alive" and worker["concurrency"]]
            return data if alive and data["beat"]["alive"] and data["beat"]["seen_latest_schedule_change"] else None

        data = wait_for(ready, timeout=60, message="a worker with its stats and a leading beat on the dashboard")
        assert data["broker"] == "filesystem"
        assert [queue["depth"] for queue in data["queues"]] == [0, 0, 0]
        [worker] = data["workers"]
        assert worker["name"].startswith("celery@") and worker["concurrency"] == 2
        assert len(worker["queues"]) == 3
        assert data["beat"]["leader"] == data["beat"]["beats"][0]["node"]
        with urllib.request.urlopen(f"{base}/dashboard/", timeout=10) as response:
            page = response.read().decode()
        assert worker["name"] in page and "alive" in page
        running.stop(signal.SIGINT, within=30)
