"""Tasks sent through the API and run by a real worker, on every broker in turn."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tasks_app import services
from tasks_app.selectors import status
from tests.support.waiting import wait_for

DRIVER_BY_KIND = {"filesystem": "filesystem", "redis": "redis", "rabbitmq": "amqp"}


def wait_until_finished(client, url, timeout=30):
    def finished():
        body = client.get(url).json()
        return body if body["finished"] else None

    return wait_for(finished, timeout=timeout, message=f"{url} to finish")


def test_echo_posted_to_the_api_succeeds_with_its_value(client, celery_app, celery_worker, broker):
    value = {"greeting": "hello", "numbers": [1, 2.5, None], "nested": {"ok": True}}
    response = client.post("/api/tasks/", {"task": "echo", "args": [value]}, content_type="application/json")
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["state"] == "QUEUED"
    assert accepted["url"] == f"/api/tasks/{accepted['id']}/"

    body = wait_until_finished(client, accepted["url"])
    assert body["state"] == "SUCCESS", body
    assert body["result"] == value
    assert body["args"] == [value]
    assert body["queue"] == "default"  # the short name, as sent (the record holds the broker's)
    # The embedded test worker reports the machine name; a real one reports its full node name.
    assert body["worker"] and body["worker"] in celery_worker.hostname
    assert body["started_at"] and body["finished_at"]
    # The message really crossed the broker under test: the worker consumed it from there.
    consumer_connection = celery_worker.consumer.connection
    assert consumer_connection.transport.driver_type == DRIVER_BY_KIND[broker.kind]
    assert consumer_connection.as_uri(include_password=True) == celery_app.connection_for_write().as_uri(
        include_password=True
    )


@pytest.mark.parametrize("falsy", [0, [], "", False, None])
def test_falsy_results_are_results(client, celery_worker, falsy):
    record = services.enqueue("echo", [falsy])
    wait_for(lambda: status.get(record.task_id).finished, message="echo to finish")
    found = status.get(record.task_id)
    assert found.state == "SUCCESS"
    assert found.result == falsy
    assert client.get(f"/api/tasks/{record.task_id}/").json()["result"] == falsy


def test_a_failing_task_reports_the_error(client, celery_worker, broker, settings):
    # Nothing listens on port 1: the download fails in the worker, not at the door. Loopback is
    # refused unless allow-listed, as in local development.
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.FETCH_URL_MAX_RETRIES = 0  # fail at the first refusal (retries: tests/worker/test_fetch_retry.py)
    response = client.post(
        "/api/tasks/", {"task": "fetch_url", "args": ["http://127.0.0.1:1/"]}, content_type="application/json"
    )
    body = wait_until_finished(client, response.json()["url"])
    assert body["state"] == "FAILURE"
    assert body["result"] is None
    assert body["error"].startswith("NetworkError: Could not fetch http://127.0.0.1:1/: ConnectionRefusedError")
    assert "Traceback" in body["traceback"]


class _Handler(BaseHTTPRequestHandler):
    body = b"x" * 3000

    def do_GET(self):
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_site(settings):
    # fetch_url refuses loopback unless it is allow-listed, as in local development.
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_fetch_url_returns_a_small_summary_not_the_body(client, celery_worker, local_site, settings):
    response = client.post(
        "/api/tasks/", {"task": "fetch_url", "args": [f"{local_site}/redirect"]}, content_type="application/json"
    )
    body = wait_until_finished(client, response.json()["url"])
    assert body["state"] == "SUCCESS", body
    assert body["result"] == {
        "status_code": 200,
        "url": f"{local_site}/page",
        "content_type": "text/plain; charset=utf-8",
        "size_bytes": 3000,
        "truncated": False,
    }


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_fetch_url_stops_reading_at_the_size_cap(client, celery_worker, local_site, settings):
    settings.FETCH_URL_MAX_BYTES = 1000
    response = client.post(
        "/api/tasks/", {"task": "fetch_url", "args": [f"{local_site}/page"]}, content_type="application/json"
    )
    body = wait_until_finished(client, response.json()["url"])
    assert body["state"] == "SUCCESS", body
    assert body["result"]["size_bytes"] == 1000
    assert body["result"]["truncated"] is True
