"""Benchmark 1, enqueue: tasks per second into each broker, from the raw client up to the API.

(a) the broker's own client (Redis LPUSH, an AMQP basic publish with confirms, a file written into
    a folder) sending a byte-identical copy of a real `echo` message;
(b) a bare `apply_async` of `echo` through the site's Celery app;
(c) `services.enqueue`: the site's record in PostgreSQL plus the publish, in one transaction;
(c') its two round trips alone, in turn: the record's INSERT (`TaskRecord.objects.record`) then
    `apply_async`: what (c) cannot go below, timed in the same run (target: (c) at most 1.1 x);
(d) `POST /api/tasks/bulk/` to the web server, batches of tasks, counted per task;
(e) single `POST /api/tasks/` requests from several concurrent clients (also p50/p99 latency), each
    request on a new connection, and (e') the same on connections kept alive, one per client, as the
    platform's router keeps its connections to a dyno open (kept for WEB_HEADER_TIMEOUT between requests);
(f) `POST /api/tasks/bulk/` with every task in one request, and (g) `POST /api/tasks/retry/` of as
    many failed tasks: retrying a filtered set costs what sending it in bulk does.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import uuid
from contextlib import suppress
from urllib.parse import urlsplit

from bench import env
from bench.harness import Report, interleave, percentile, say
from helloworld.transports import queue_folder, write_whole

RAW = "a raw client"
BARE = "b apply_async"
ENQUEUE = "c services.enqueue"
ROUND_TRIPS = "c' the record's INSERT + apply_async"
BULK = "d bulk API (HTTP)"
SINGLE = "e single POSTs (HTTP)"
SINGLE_KEPT = "e' single POSTs, kept-alive connections"
BULK_ONE = "f bulk API, one request"
RETRY_ALL = "g retry all failed (HTTP)"
NOT_AVAILABLE = "endpoint not available in this checkout"


def connect(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def post(base: str, path: str, body, connection: http.client.HTTPConnection | None = None) -> tuple[int, object]:
    """POST `body` as JSON; on a new connection closed after, unless a kept-alive one is given."""
    own = connection is None
    connection = connection or connect(base)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw or b"null")
        except ValueError:
            return response.status, raw[:200]
    finally:
        if own:
            connection.close()


def single_posts(base: str, count: int, clients: int, kept_alive: bool) -> list[float]:
    """`count` single `POST /api/tasks/` from `clients` threads, each on a new connection or on one
    kept alive per client (as the platform's router sends them); each one's seconds. Any POST not
    accepted (202) fails the run."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    remaining = iter(range(count))

    def client():
        connection = connect(base) if kept_alive else None
        try:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                started = time.perf_counter()
                status, answer = post(base, "/api/tasks/", {"task": "echo", "args": ["hello"]}, connection)
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if status != 202:
                        failures.append(f"{status} {str(answer)[:100]}")
        finally:
            if connection is not None:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} single POSTs failed, e.g. {failures[0]}")
    return latencies


class RawClient:
    """The broker's own client sending copies of a real Celery `echo` message to a queue of its own."""

    def __init__(self, broker: str, app):
        self.broker = broker
        self.queue = f"{env.PREFIX}.raw"
        from tasks_app.tasks import echo

        source = f"{env.PREFIX}.low"  # the site's own queue: the app refuses queues it does not know
        env.purge_queues(app, [self.queue, source])
        echo.apply_async(["hello"], queue=source)  # one real message, to copy byte for byte
        if broker == "redis":
            import redis

            self.client = redis.Redis.from_url(env.REDIS_URL)
            self.payload = self.client.lindex(source, 0)
            self.send = lambda: self.client.lpush(self.queue, self.payload)
        elif broker == "rabbitmq":
            import amqp

            parts = urlsplit(env.RABBITMQ_URL)
            # Publisher confirms, as the site's RabbitMQ settings use: each publish waits for the broker's ack.
            self.connection = amqp.Connection(
                f"{parts.hostname}:{parts.port or 5672}",
                userid=parts.username,
                password=parts.password,
                confirm_publish=True,
            )
            self.connection.connect()
            self.channel = self.connection.channel()
            message = env.wait_for(
                lambda: self.channel.basic_get(source, no_ack=True),
                10,
                message="the copied message",
            )
            body, properties = message.body, dict(message.properties)

            def send():
                self.channel.basic_publish(amqp.Message(body, **properties), exchange="", routing_key=self.queue)

            self.send = send
        else:
            from django.conf import settings

            folder = queue_folder(settings.BROKER.transport_options, source)
            found = env.wait_for(lambda: list(folder.glob("*.msg")), 10, message="the copied message file")
            self.payload = found[0].read_bytes()
            self.folder = env.DATA_DIR / "raw"
            self.folder.mkdir(exist_ok=True)

            def send():
                # What the site's transport does for each message: a new file, written whole.
                write_whole(self.folder / f"{time.monotonic_ns()}_{uuid.uuid4()}.{self.queue}.msg", self.payload)

            self.send = send
        env.purge_queues(app, [self.queue, source])

    def clear(self) -> None:
        if self.broker == "filesystem":
            for path in self.folder.glob("*.msg"):
                path.unlink()

    def close(self) -> None:
        self.clear()
        if self.broker == "redis":
            self.client.delete(self.queue)
            self.client.close()
        elif self.broker == "rabbitmq":
            with suppress(Exception):
                self.channel.queue_purge(self.queue)
            self.connection.close()


def run_broker(broker: str, sizes: dict, rounds: int, clients: int, batch: int, smoke: bool) -> Report:
    from django_celery_results.models import TaskResult

    from tasks_app import services
    from tasks_app.models import TaskRecord
    from tasks_app.tasks import echo

    report = Report(
        f"enqueue-{broker}",
        f"1. Enqueue on {broker}: tasks per second",
        {
            "broker": broker,
            "rounds": rounds,
            "tasks per run": sizes,
            "http clients": clients,
            "bulk batch": batch,
            "web": "the Procfile's web (granian, 2 workers), local mode",
        },
    )
    if not smoke and min(sizes.values()) < 10_000:
        report.note(
            f"runs of {sizes['apply_async']:,} tasks ({sizes['single']:,} for single POSTs), {rounds} rounds each, "
            "instead of 10,000: a rate, not a total, and make bench must fit in 20 minutes "
            "(BENCH_ENQUEUE_TASKS, BENCH_ENQUEUE_HTTP_TASKS and BENCH_ENQUEUE_ROUNDS change them)"
        )
    rate = report.metric("throughput", "tasks/s")
    latency50 = report.metric("single POST latency p50", "ms", higher_is_better=False)
    latency99 = report.metric("single POST latency p99", "ms", higher_is_better=False)

    with env.site_app_on(broker) as app:
        default_queue = f"{env.PREFIX}.default"
        env.purge_queues(app, env.site_queues())
        raw = RawClient(broker, app)
        web, base = env.start_web(broker)
        try:
            bulk_problem = None
            status, answer = post(base, "/api/tasks/bulk/", {"tasks": [{"task": "echo", "args": [1]}]})
            if status in (404, 405):  # 405: without the endpoint, /api/tasks/<id>/ takes the path (GET only)
                bulk_problem = f"{NOT_AVAILABLE} (it answered {status})"
            elif status != 202 or not isinstance(answer, dict) or len(answer.get("tasks", [])) != 1:
                bulk_problem = f"bulk endpoint answered {status} {str(answer)[:120]}"
            if bulk_problem:
                report.note(f"(d) POST /api/tasks/bulk/: {bulk_problem}; (d) not measured")
            status, answer = post(base, "/api/tasks/", {"task": "echo", "args": ["hello"]})
            if status != 202:
                raise RuntimeError(f"POST /api/tasks/ answered {status}: {answer}")

            def timed(name, count, send_all):
                started = time.perf_counter()
                send_all(count)
                seconds = time.perf_counter() - started
                rate.add(name, count / seconds)

            def run_raw():
                def send_all(n):
                    for _ in range(n):
                        raw.send()

                timed(RAW, sizes["raw"], send_all)

            def run_bare():
                def send_all(n):
                    for _ in range(n):
                        echo.apply_async(["hello"], queue=default_queue)

                timed(BARE, sizes["apply_async"], send_all)

            def run_enqueue():
                def send_all(n):
                    for _ in range(n):
                        services.enqueue("echo", ["hello"], {}, "default")

                timed(ENQUEUE, sizes["enqueue"], send_all)

            def run_round_trips():
                from celery import uuid

                def send_all(n):
                    for _ in range(n):
                        task_id = uuid()
                        TaskRecord.objects.record(
                            task_id=task_id, task_name="echo", args=["hello"], kwargs={}, queue=default_queue
                        )
                        echo.apply_async(["hello"], task_id=task_id, queue=default_queue)

                timed(ROUND_TRIPS, sizes["enqueue"], send_all)

            def run_bulk():
                def send_all(n):
                    for start in range(0, n, batch):
                        tasks = [{"task": "echo", "args": ["hello"]} for _ in range(min(batch, n - start))]
                        status, answer = post(base, "/api/tasks/bulk/", {"tasks": tasks})
                        if status != 202 or len(answer.get("tasks", [])) != len(tasks):
                            raise RuntimeError(f"bulk POST answered {status}: {str(answer)[:200]}")

                timed(BULK, sizes["bulk"], send_all)

            def run_single(name: str = SINGLE, kept_alive: bool = False):
                started = time.perf_counter()
                latencies = single_posts(base, sizes["single"], clients, kept_alive)
                rate.add(name, sizes["single"] / (time.perf_counter() - started))
                latency50.add(name, 1000 * percentile(latencies, 0.50))
                latency99.add(name, 1000 * percentile(latencies, 0.99))

            def run_bulk_one():
                tasks = [{"task": "echo", "args": ["hello"]} for _ in range(sizes["retry"])]
                started = time.perf_counter()
                status, answer = post(base, "/api/tasks/bulk/", {"tasks": tasks})
                seconds = time.perf_counter() - started
                if status != 202 or len(answer.get("tasks", [])) != len(tasks):
                    raise RuntimeError(f"bulk POST answered {status}: {str(answer)[:200]}")
                rate.add(BULK_ONE, len(tasks) / seconds)

            def run_retry_all():
                seed_failed(sizes["retry"], default_queue)  # untimed: what a day of failures leaves
                started = time.perf_counter()
                status, answer = post(base, "/api/tasks/retry/?task=echo&state=FAILURE", {})
                seconds = time.perf_counter() - started
                if status != 202 or answer.get("retried") != sizes["retry"]:
                    raise RuntimeError(f"retry-all answered {status}: {str(answer)[:200]}")
                rate.add(RETRY_ALL, sizes["retry"] / seconds)

            def between():
                env.purge_queues(app, env.site_queues())
                raw.clear()
                TaskRecord.objects.all().delete()
                TaskResult.objects.all().delete()

            contenders = {
                RAW: run_raw,
                BARE: run_bare,
                ENQUEUE: run_enqueue,
                ROUND_TRIPS: run_round_trips,
                SINGLE: run_single,
                SINGLE_KEPT: lambda: run_single(SINGLE_KEPT, kept_alive=True),
            }
            if not bulk_problem:
                contenders.update({BULK: run_bulk, BULK_ONE: run_bulk_one, RETRY_ALL: run_retry_all})
            say(f"[enqueue/{broker}] {rounds} rounds of {', '.join(contenders)}")
            interleave(contenders, rounds, between)
        finally:
            web.terminate()
            raw.close()
            env.purge_queues(app, env.site_queues())

    report.ratio("(c)/(b)", "throughput", ENQUEUE, BARE)
    report.ratio("(c)/(c')", "throughput", ENQUEUE, ROUND_TRIPS)
    report.ratio("(d)/(b)", "throughput", BULK, BARE)
    report.ratio("(b)/(a)", "throughput", BARE, RAW)
    report.ratio("(e)/(b)", "throughput", SINGLE, BARE)
    report.ratio("(g)/(f)", "throughput", RETRY_ALL, BULK_ONE)
    # (c) >= 0.5 x (b) and (b) >= 0.3 x (a) measured Celery and PostgreSQL, not the site:
    # their ratios stay above as information. (c) costs at most 1.1 x its two round trips: rate >= 1/1.1.
    report.target(
        "(c) services.enqueue costs at most 1.1 x (c') its INSERT + apply_async (rate ratio >= 1/1.1)",
        report.ratios["(c)/(c')"],
        1 / 1.1,
    )
    report.target(
        "(d) bulk API per task >= 0.8 x (b) apply_async",
        report.ratios["(d)/(b)"],
        0.8,
        note=bulk_problem or "",
    )
    report.target(
        f"(e) single POST p50 <= 10 ms from {clients} concurrent clients", latency50.median(SINGLE), 10.0, at_most=True
    )
    report.target(
        f"(e') single POST p50 <= 10 ms from {clients} concurrent clients, kept-alive connections",
        latency50.median(SINGLE_KEPT),
        10.0,
        at_most=True,
    )
    report.target(
        f"(g) retrying {sizes['retry']:,} failed tasks takes at most 2 x (f) a bulk enqueue of as many",
        report.ratios["(g)/(f)"],
        0.5,
        note=bulk_problem or "",
    )
    return report


def seed_failed(count: int, queue: str) -> None:
    """`count` echo tasks that a worker reported FAILURE for, as the site records them."""
    from celery import uuid
    from django.utils import timezone
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    ids = [uuid() for _ in range(count)]
    TaskRecord.objects.bulk_create(
        TaskRecord(task_id=task_id, task_name="echo", args=["hello"], kwargs={}, queue=queue, state="FAILURE")
        for task_id in ids
    )
    TaskResult.objects.bulk_create(
        TaskResult(task_id=task_id, status="FAILURE", result='{"exc_type": "ValueError"}', date_done=timezone.now())
        for task_id in ids
    )


def run(smoke: bool) -> list[Report]:
    if smoke:
        sizes = {"raw": 50, "apply_async": 50, "enqueue": 50, "bulk": 50, "single": 20, "retry": 50}
        rounds, clients, batch = 1, 2, 25
    else:
        n = int(os.environ.get("BENCH_ENQUEUE_TASKS", "2000"))
        n_http = int(os.environ.get("BENCH_ENQUEUE_HTTP_TASKS", "1000"))
        n_retry = int(os.environ.get("BENCH_RETRY_TASKS", "5000"))
        sizes = {"raw": n, "apply_async": n, "enqueue": n, "bulk": n, "single": n_http, "retry": n_retry}
        rounds, clients, batch = int(os.environ.get("BENCH_ENQUEUE_ROUNDS", "3")), 4, 100
    brokers = os.environ.get("BENCH_BROKERS", "redis,rabbitmq,filesystem").split(",")
    return [run_broker(broker, sizes, rounds, clients, batch, smoke) for broker in brokers]
