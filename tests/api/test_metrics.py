"""GET /metrics: Prometheus' text format, the dashboard's figures, and who may read it."""

import pytest
from django_celery_results.models import TaskResult
from prometheus_client.parser import text_string_to_metric_families

from tasks_app import services
from tasks_app.models import BeatHeartbeat
from tasks_app.selectors import status
from tests.support.waiting import wait_for

TOKEN = "s3cret-scrape-token"


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def by_state(families) -> dict:
    found = {}
    for sample in families["helloworld_tasks_last_hour"].samples:
        found[sample.labels["state"]] = found.get(sample.labels["state"], 0) + sample.value
    return found


@pytest.mark.django_db
def test_the_output_parses_and_names_every_metric(client):
    families = scrape(client)
    assert {
        "helloworld_tasks_last_hour",
        "helloworld_tasks_sent_last_hour",
        "helloworld_task_runtime_seconds",
        "helloworld_task_retries_last_hour",
        "helloworld_broker_up",
        "helloworld_queue_waiting_tasks",
        "helloworld_workers_alive",
        "helloworld_beat_up",
        "helloworld_beat_seconds_since_tick",
        "helloworld_beat_leader",
    } <= set(families)
    assert families["helloworld_workers_alive"].samples[0].value == 0
    assert families["helloworld_beat_up"].samples[0].value == 0


def test_after_tasks_run_by_a_worker_the_metrics_say_what_the_dashboard_says(client, celery_worker, settings):
    # Only this test's tasks: a worker of an earlier test may have written a late result row (a
    # revoked task it discarded) after that test's tables were emptied.
    TaskResult.objects.all().delete()
    # fetch_url's retries wait a random backoff (up to 14 s in all), which this test is not about:
    # with none, its FAILURE comes at once and the wait below cannot run out on an unlucky draw.
    settings.FETCH_URL_MAX_RETRIES = 0
    sent = [services.enqueue("echo", [n]).task_id for n in range(3)]
    sent.append(services.enqueue("echo", ["now"], queue="high").task_id)
    sent.append(services.enqueue("fetch_url", ["http://nowhere.invalid/"]).task_id)  # no such host: a FAILURE
    wait_for(lambda: all(status.get(t).state in ("SUCCESS", "FAILURE") for t in sent), message="the tasks to run")

    families = scrape(client)
    counts = client.get("/api/dashboard/").json()["counts"]["hour"]
    assert by_state(families) == {state: n for state, n in counts.items() if n}
    # This test's five tasks (a revoked task an earlier test left queued may be discarded meanwhile).
    assert {state: n for state, n in by_state(families).items() if state != "REVOKED"} == {"SUCCESS": 4, "FAILURE": 1}
    per_queue = {
        (s.labels["task"], s.labels["queue"]): s.value
        for s in families["helloworld_tasks_sent_last_hour"].samples
        if s.labels["state"] == "SUCCESS"
    }
    assert per_queue == {
        ("tasks_app.tasks.echo", settings.QUEUES["default"]): 3,
        ("tasks_app.tasks.echo", settings.QUEUES["high"]): 1,
    }
    finished = [s.value for s in families["helloworld_task_runtime_seconds"].samples if s.labels.get("le") == "+Inf"]
    assert sum(finished) == 5


@pytest.mark.django_db
@pytest.mark.production(METRICS_TOKEN=TOKEN)
def test_in_production_it_is_a_401_without_the_token_or_with_a_wrong_one(production, client):
    assert client.get("/metrics").status_code == 401  # a 401, not a redirect to the login page
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    scrape(client, Authorization=f"Bearer {TOKEN}")


@pytest.mark.production(METRICS_TOKEN=TOKEN)
def test_in_production_staff_may_read_it_and_other_users_may_not(production, client, alice):
    client.force_login(alice)
    assert client.get("/metrics").status_code == 401
    alice.is_staff = True
    alice.save()
    scrape(client)


@pytest.mark.django_db
@pytest.mark.production(METRICS_TOKEN="")
def test_with_no_token_configured_no_bearer_token_opens_it(production, client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_a_running_beat_shows_as_up_leading_and_its_sends_as_on_time(client, celery_beat):
    services.schedule("echo", ["tick"], schedule_text="every 2 seconds", name="tick")
    wait_for(
        lambda: BeatHeartbeat.objects.filter(is_leader=True, last_send_at__isnull=False).exists(),
        timeout=20,
        message="beat to lead and send",
    )
    families = scrape(client)
    value = {name: family.samples[0] for name, family in families.items() if name.startswith("helloworld_beat")}
    assert value["helloworld_beat_up"].value == 1
    assert value["helloworld_beat_seconds_since_tick"].value < 15
    host, _, _pid = BeatHeartbeat.objects.get(is_leader=True).node.rpartition(":")
    assert value["helloworld_beat_leader"].labels["node"] == host
    # Sent within a tick of its due time: beat sleeps at most until the next due entry.
    assert 0 <= value["helloworld_beat_last_send_lateness_seconds"].value < 2
    assert value["helloworld_beat_seconds_since_last_send"].value < 10
