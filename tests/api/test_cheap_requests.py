"""Cheap requests stay cheap: health and the dashboard share one broker snapshot, anonymous health names
nothing, a dashboard answers within about 2 s while the broker is down, a chunked body is a 411, and a
bulk request over the rate limit is refused before its body is parsed. (The same against the real web server
with concurrent and slow clients: tests/system/test_web_with_slow_clients.py.)"""

import json
import time

import pytest
from django.utils import timezone

from tasks_app import ratelimit
from tasks_app.broker import control, queues, workers
from tasks_app.selectors import monitoring
from tests.support.celery import app_on_broker

NOWHERE = "amqp://guest:s3cret@127.0.0.1:1//"  # a closed port on loopback: refused at once


@pytest.fixture
def counted_broadcasts(monkeypatch, settings):
    """The broker answers at once and every broadcast is counted (no real broker needed)."""
    settings.MONITOR_REFRESH_SECONDS = 5
    calls = []
    monkeypatch.setattr(control, "broker_problem", lambda: None)
    monkeypatch.setattr(queues, "states", lambda: [])
    monkeypatch.setattr(workers, "_ask", lambda timeout: calls.append(timeout) or {})
    return calls


@pytest.mark.django_db
def test_any_number_of_health_checks_and_dashboards_cost_one_broadcast_per_interval(client, counted_broadcasts):
    for _ in range(10):
        assert client.get("/api/health/").status_code == 200
        assert client.get("/api/dashboard/").status_code == 200
        assert client.get("/dashboard/?fragment=1").status_code == 200
    assert len(counted_broadcasts) == 1
    # Once the snapshot is older than the interval, the next request refreshes it, once.
    monitoring.MonitorSnapshot.objects.update(taken_at=timezone.now() - monitoring._max_age())
    for _ in range(5):
        client.get("/api/health/")
    assert len(counted_broadcasts) == 2


@pytest.mark.django_db
def test_a_refresh_under_way_is_not_started_twice(client, counted_broadcasts):
    client.get("/api/health/")
    stale = timezone.now() - monitoring._max_age()
    monitoring.MonitorSnapshot.objects.update(taken_at=stale, refreshing_until=timezone.now() + monitoring.CLAIM_FOR)
    started = time.monotonic()
    for _ in range(5):
        assert client.get("/api/health/").json()["status"] == "ok"  # the last snapshot, at once
    assert time.monotonic() - started < 1
    assert len(counted_broadcasts) == 1
    # A refresh that died leaves its claim: another takes over once it runs out.
    monitoring.MonitorSnapshot.objects.update(refreshing_until=timezone.now() - monitoring.CLAIM_FOR)
    client.get("/api/health/")
    assert len(counted_broadcasts) == 2


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_anonymous_health_says_ok_or_not_and_names_nothing(client, settings, production, staff, celery_worker, broker):
    response = client.get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "broker": {"reachable": True}, "workers": {"alive": True}, "beat": {"alive": False}}
    text = response.content.decode()
    for secret in (celery_worker.hostname, "127.0.0.1", "6379", settings.QUEUE_PREFIX, broker.kind):
        assert secret not in text
    # Staff keep the detail.
    client.force_login(staff)
    detail = client.get("/api/health/").json()
    assert {"kind", "display", "error"} <= set(detail["broker"]) and detail["checked_at"]
    assert detail["workers"]["nodes"][celery_worker.hostname] == sorted(settings.QUEUES.values())


@pytest.mark.django_db
def test_a_dashboard_answers_within_2_s_while_the_broker_is_down_and_says_so(client):
    with app_on_broker(NOWHERE):
        timings = []
        for path in ("/api/dashboard/", "/dashboard/?fragment=1", "/api/health/"):
            started = time.monotonic()
            response = client.get(path)
            timings.append(time.monotonic() - started)
            if path == "/api/dashboard/":
                body = response.json()
            elif path == "/dashboard/?fragment=1":
                page = response.content.decode()
            else:
                health = response
    print(
        "broker down: /api/dashboard/, /dashboard/, /api/health/ answered in "
        + ", ".join(f"{t:.2f} s" for t in timings)
    )
    assert max(timings) < 2, timings
    assert body["broker_error"].startswith("OperationalError")
    assert all(queue["depth"] is None for queue in body["queues"])
    assert "The broker is not reachable" in page
    assert health.status_code == 503 and health.json()["broker"]["reachable"] is False
    assert "s3cret" not in json.dumps(body) + page + health.content.decode()


@pytest.fixture
def api_user(production, settings, alice):
    settings.RATE_LIMITS_PER_MINUTE = {"enqueue": 60, "schedule": 10}
    return alice


def test_a_chunked_body_is_a_411_saying_to_send_content_length(client, api_user):
    client.force_login(api_user)
    client.handler.enforce_csrf_checks = False
    for path in ("/api/tasks/", "/api/tasks/bulk/"):
        # What gunicorn hands Django for a chunked request: the header, no Content-Length.
        response = client.generic(
            "POST", path, b"", CONTENT_TYPE="application/json", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""
        )
        assert response.status_code == 411, response.content
        assert "Content-Length" in response.json()["error"]


def test_a_bulk_request_over_the_limit_is_refused_before_its_body_is_parsed(client, api_user, one_window):
    client.force_login(api_user)
    ratelimit.take(api_user, "enqueue", cost=60)  # this minute's whole limit
    # Not even JSON: a 429, not a 400, shows the body was never parsed.
    response = client.post("/api/tasks/bulk/", data=b"{not json", content_type="application/json")
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    body = json.dumps({"tasks": [{"task": "echo", "args": [f"x{n}"]} for n in range(5000)]})
    started = time.monotonic()
    response = client.post("/api/tasks/bulk/", data=body, content_type="application/json")
    took = time.monotonic() - started
    print(f"429 for 5,000 tasks over the limit in {took:.3f} s")
    assert response.status_code == 429
    assert took < 0.2
