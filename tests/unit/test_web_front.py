"""The web tier's front (helloworld.asgi) and its server command (helloworld.web), driven the way
granian drives them: ASGI messages in, ASGI messages out, with the site's real Django behind."""

import asyncio
import json

import pytest

from helloworld import asgi, web


def call(app, method="GET", path="/api/health/", headers=(), chunks=(b"",), gap=0.0) -> list[dict]:
    """Run one request through `app`; the body arrives in `chunks`, `gap` seconds apart."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = list(chunks)
    sent: list[dict] = []

    async def receive():
        if not pending:
            await asyncio.sleep(3600)  # after the body: the client stays
        await asyncio.sleep(gap)
        return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def front(**overrides):
    options = {"threads": 2, "body_seconds": 1.0, "max_body_bytes": 1000, **overrides}
    return asgi.WsgiInThreads(asgi.django_application, **options)


def status_and_body(sent: list[dict]) -> tuple[int, bytes]:
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])


@pytest.mark.django_db(transaction=True)
def test_a_request_reaches_django_in_a_thread_and_its_answer_comes_back_whole():
    sent = call(front(), path="/api/tasks/not-a-task/")
    status, body = status_and_body(sent)
    assert status == 404
    assert len(sent) == 2 and not sent[1].get("more_body")  # built whole, then sent at once
    assert "error" in json.loads(body)


def test_a_body_declared_larger_than_any_view_reads_is_refused_before_it_is_read():
    sent = call(front(), "POST", "/api/tasks/", headers=[(b"content-length", b"5000")], chunks=())
    status, body = status_and_body(sent)
    assert status == 413
    assert json.loads(body) == {"error": "The body is larger than 1000 bytes, the most this site reads."}


def test_a_body_larger_than_declared_is_cut_off_at_the_limit():
    chunks = [b"x" * 600, b"x" * 600]
    status, body = status_and_body(call(front(), "POST", "/tasks/new/", chunks=chunks))
    assert status == 413
    assert body.startswith(b"The body is larger")  # plain text off the API


def test_a_body_that_does_not_arrive_in_time_gets_a_408():
    chunks = [b"{", b'"task"', b": 1}"]
    status, body = status_and_body(call(front(body_seconds=0.5), "POST", "/api/tasks/", chunks=chunks, gap=0.3))
    assert status == 408
    assert "did not arrive within 0.5 seconds" in json.loads(body)["error"]


@pytest.mark.django_db(transaction=True)
def test_a_response_larger_than_the_buffer_is_streamed_whole(monkeypatch):
    monkeypatch.setattr(asgi, "BUFFER_RESPONSES_UP_TO", 100)
    sent = call(front(), path="/api/openapi.json")
    status, body = status_and_body(sent)
    assert status == 200
    assert sent[1]["more_body"] is True  # sent from the thread as it came
    assert sent[-1] == {"type": "http.response.body"}
    assert json.loads(body)["openapi"].startswith("3.1")


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_server_command_follows_the_platforms_conventions():
    argv = web.server_command({"PORT": "5123", "WEB_CONCURRENCY": "3", "WEB_HEADER_TIMEOUT": "90"}, 20000)
    assert argv[0] == "granian" and argv[-1] == "helloworld.asgi:application"
    assert option(argv, "--host") == "0.0.0.0"
    assert option(argv, "--port") == "5123"
    assert option(argv, "--workers") == "3"
    assert option(argv, "--http1-header-read-timeout") == "60000"  # granian's most
    assert option(argv, "--backpressure") == "10000"
    local = web.server_command({"HELLOWORLD_LOCAL": "1"}, 1024)
    assert option(local, "--host") == "127.0.0.1"
    assert option(local, "--port") == "8000"
    assert option(local, "--http1-header-read-timeout") == "30000"
    assert option(local, "--backpressure") == "768"  # connections held within the open-file limit


def test_a_setting_that_is_not_a_number_stops_the_web_process_with_its_name(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    monkeypatch.delenv("WEB_MODE", raising=False)
    with pytest.raises(SystemExit) as stopped:
        web.main()
    assert str(stopped.value) == "WEB_CONCURRENCY='many' is not a whole number."
