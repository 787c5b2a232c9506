"""Ages and times that /metrics and /api/dashboard/ report are read from one clock, after the
figures they describe: an age is never negative, "As of" never earlier than
the check or a worker's last answer it shows."""

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_celery_results.models import TaskResult
from prometheus_client.parser import text_string_to_metric_families

from tasks_app.beat import heartbeat
from tasks_app.models import BeatHeartbeat, BeatLease, MonitorSnapshot
from tests.support.waiting import wait_for


def scrape_text(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return response.content.decode()


def sample(text: str, name: str):
    [found] = [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]
    return found


@pytest.mark.django_db
def test_the_snapshot_age_is_not_negative_on_a_scrape_that_refreshes_it(client):
    # No snapshot yet: this scrape refreshes it (a broadcast that waits its one-second timeout).
    MonitorSnapshot.objects.all().delete()
    age = sample(scrape_text(client), "helloworld_monitor_snapshot_age_seconds").value
    assert 0 <= age < 1, age


@pytest.mark.django_db(transaction=True)
def test_seconds_since_beat_ticked_is_not_negative_when_it_ticks_during_the_scrape(client):
    # A beat ticks while the scrape is refreshing the snapshot (the broadcast's one second).
    def tick_soon():
        threading.Event().wait(0.3)
        heartbeat.record_beat_tick("web.1:4242", is_leader=True)
        connections.close_all()

    MonitorSnapshot.objects.all().delete()
    ticker = threading.Thread(target=tick_soon)
    ticker.start()
    text = scrape_text(client)
    ticker.join()
    assert BeatHeartbeat.objects.exists()
    assert 0 <= sample(text, "helloworld_beat_seconds_since_tick").value < 2


@pytest.mark.django_db
def test_a_beat_on_a_host_whose_clock_runs_ahead_is_not_seen_in_the_future(client):
    heartbeat.record_beat_tick("other-host:7", is_leader=False)
    BeatHeartbeat.objects.update(last_tick=timezone.now() + timedelta(seconds=30))
    assert sample(scrape_text(client), "helloworld_beat_seconds_since_tick").value == 0


@pytest.mark.django_db
def test_the_dashboard_was_generated_after_the_check_it_shows(client):
    MonitorSnapshot.objects.all().delete()
    data = client.get("/api/dashboard/").json()
    assert datetime.fromisoformat(data["checked_at"]) <= datetime.fromisoformat(data["generated_at"])


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_no_worker_answered_later_than_the_dashboard_was_generated(client, celery_worker):
    data = wait_for(lambda: (found := client.get("/api/dashboard/").json())["workers"] and found, message="a worker")
    generated_at = datetime.fromisoformat(data["generated_at"])
    assert datetime.fromisoformat(data["checked_at"]) <= generated_at
    assert all(datetime.fromisoformat(worker["last_seen"]) <= generated_at for worker in data["workers"])


# The metrics' own shape (item 23's two nits).


@pytest.mark.django_db
def test_the_runtime_histogram_exports_count_and_sum_as_dashboards_expect(client):
    now = timezone.now()
    TaskResult.objects.create(
        task_id="t1", task_name="tasks_app.tasks.echo", status="SUCCESS", date_started=now - timedelta(seconds=2)
    )
    text = scrape_text(client)
    assert "# TYPE helloworld_task_runtime_seconds histogram" in text
    assert sample(text, "helloworld_task_runtime_seconds_count").value == 1
    assert 1 < sample(text, "helloworld_task_runtime_seconds_sum").value < 10
    assert "_gcount" not in text and "_gsum" not in text


@pytest.mark.django_db
def test_the_beat_leaders_node_label_names_its_host_not_its_process(client):
    heartbeat.record_beat_tick("workerbeat.1:4242", is_leader=True, last_send=(timezone.now(), 0.1))
    BeatLease.objects.create(name="beat", holder="workerbeat.1:4242", expires_at=timezone.now() + timedelta(seconds=15))
    text = scrape_text(client)
    assert sample(text, "helloworld_beat_leader").labels == {"node": "workerbeat.1"}
    assert sample(text, "helloworld_beat_last_send_lateness_seconds").labels == {"node": "workerbeat.1"}
    assert sample(text, "helloworld_beat_seconds_since_last_send").labels == {"node": "workerbeat.1"}
