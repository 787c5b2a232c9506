"""Benchmark 6, Django's Tasks framework on the site (tasks_app/djtasks):

(a) enqueue: `word_count.enqueue("hello")` (a catalog @task, through django.tasks) against
    `services.enqueue("echo", ["hello"])`, the same broker, alternating every 50 tasks: the
    django.tasks path is the site's sending path plus a TaskResult, so it should cost no more
    than 10% extra;
(b) `get_result` p50 with 1,000 and with 1,000,000 django.tasks tasks in the tables (record,
    result row and attempts each): three lookups by unique key, so it should not grow with them.
    Each side is a database of its own, read by a process of its own (`manage.py shell`), in turns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench import bench_pages, env
from bench.harness import Report, say

DJANGO = "django.tasks .enqueue()"
CHUNK = 50  # tasks each contender sends before the other's turn
SERVICES = "services.enqueue"

SEED_SQL = (
    """
INSERT INTO tasks_app_taskrecord (task_id, task_name, args, kwargs, queue, created_at, periodic_task_name, state)
SELECT md5('d' || i)::uuid::text, 'word_count', '["hello"]'::jsonb, '{}'::jsonb, %(queue)s,
       now() - make_interval(secs => i), '', 'SUCCESS'
FROM generate_series(%(first)s::int, %(last)s::int) AS i
""",
    """
INSERT INTO django_celery_results_taskresult (task_id, status, content_type, content_encoding, result, date_done,
       task_args, task_kwargs, task_name, worker, date_created, date_started)
SELECT md5('d' || i)::uuid::text, 'SUCCESS', 'application/json', 'utf-8',
       '{"words": 1, "lines": 1, "characters": 5}', now() - make_interval(secs => i) + interval '1 second',
       '["hello"]', '{}', 'tasks_app.reports.word_count', 'celery@bench',
       now() - make_interval(secs => i), now() - make_interval(secs => i)
FROM generate_series(%(first)s::int, %(last)s::int) AS i
""",
    """
INSERT INTO tasks_app_taskattempts (task_id, worker_ids, errors, last_attempted_at)
SELECT md5('d' || i)::uuid::text, '["celery@bench"]'::jsonb, '[]'::jsonb, now() - make_interval(secs => i)
FROM generate_series(%(first)s::int, %(last)s::int) AS i
""",
)

# Run in a site process on one side's database: `count` get_result calls on random ids, p50 in ms.
READER = """
import hashlib, json, random, statistics, time, uuid
from tasks_app.reports import word_count
ids = [str(uuid.UUID(hashlib.md5(f"d{random.randint(1, %(rows)d)}".encode()).hexdigest())) for _ in range(%(count)d)]
word_count.get_result(ids[0])
seconds = []
for task_id in ids:
    started = time.perf_counter()
    result = word_count.get_result(task_id)
    seconds.append(time.perf_counter() - started)
    assert result.return_value["words"] == 1
print(json.dumps(1000 * statistics.median(seconds)))
"""


def seed(database_url: str, rows: int) -> float:
    """The pages benchmark's seeding, with the attempts table the django.tasks results read too."""
    return bench_pages.seed(database_url, rows, SEED_SQL, (*bench_pages.SEEDED_TABLES, "tasks_app_taskattempts"))


def p50_get_result(database_url: str, rows: int, count: int) -> float:
    code = READER % {"rows": rows, "count": count}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=env.ROOT,
        env=env.site_environ(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"get_result reader failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_enqueue(broker: str, count: int, rounds: int) -> Report:
    from django_celery_results.models import TaskResult

    from tasks_app import services
    from tasks_app.models import TaskRecord
    from tasks_app.reports import word_count

    report = Report(
        f"djtasks-enqueue-{broker}",
        f"6a. Enqueue through django.tasks on {broker}: tasks per second",
        {"broker": broker, "rounds": rounds, "tasks per run": count},
    )
    rate = report.metric("throughput", "tasks/s")
    cpu_per_task = report.metric("this process's CPU per task", "µs", higher_is_better=False)
    paired = report.metric("throughput / services.enqueue's, same round", "x")
    senders = {
        SERVICES: lambda: services.enqueue("echo", ["hello"]),
        DJANGO: lambda: word_count.enqueue("hello"),
    }
    with env.site_app_on(broker) as app:
        env.purge_queues(app, env.site_queues())

        def between():
            env.purge_queues(app, env.site_queues())
            TaskRecord.objects.all().delete()
            TaskResult.objects.all().delete()

        say(f"[djtasks/{broker}] {rounds} rounds of {', '.join(senders)}, alternating every {CHUNK} tasks")
        try:
            for round_number in range(rounds):
                # Alternate in small chunks, the order swapped each time: on a shared machine the
                # load changes within seconds, and both contenders should meet the same.
                seconds = dict.fromkeys(senders, 0.0)
                cpu = dict.fromkeys(senders, 0.0)
                for chunk in range(count // CHUNK):
                    order = list(senders) if (chunk + round_number) % 2 == 0 else list(reversed(senders))
                    for name in order:
                        send = senders[name]
                        started, started_cpu = time.perf_counter(), time.process_time()
                        for _ in range(CHUNK):
                            send()
                        seconds[name] += time.perf_counter() - started
                        cpu[name] += time.process_time() - started_cpu
                sent = (count // CHUNK) * CHUNK
                for name in senders:
                    rate.add(name, sent / seconds[name])
                    cpu_per_task.add(name, 1e6 * cpu[name] / sent)
                # The two rates of one round met the same load: their ratio is the steadier figure.
                paired.add(DJANGO, seconds[SERVICES] / seconds[DJANGO])
                between()
        finally:
            between()
    report.ratio("django.tasks / services", "throughput", DJANGO, SERVICES)
    report.ratio("CPU per task, django.tasks / services", "this process's CPU per task", DJANGO, SERVICES)
    report.target(
        "django.tasks .enqueue() >= 0.9 x services.enqueue (within 10%; median of the rounds' ratios)",
        paired.median(DJANGO),
        0.9,
    )
    return report


def run_get_result(small: int, large: int, rounds: int, count: int) -> Report:
    report = Report(
        "djtasks-get-result",
        "6b. get_result on PostgreSQL at a small and a large number of django.tasks tasks",
        {"task rows": [small, large], "rounds": rounds, "calls per round": count},
    )
    big_name = f"{env.DATABASE_NAME}_djtasks"
    big_url = f"{env.POSTGRES_SERVER}/{big_name}"
    from django.db import connections

    connections.close_all()
    env._admin_sql(f'DROP DATABASE IF EXISTS "{big_name}" WITH (FORCE)')
    env._admin_sql(f'CREATE DATABASE "{big_name}" TEMPLATE "{env.DATABASE_NAME}"')
    try:
        sides = {f"{small:,} rows": (env.DATABASE_URL, small), f"{large:,} rows": (big_url, large)}
        report.settings["seeded in (s)"] = {label: round(seed(url, rows), 1) for label, (url, rows) in sides.items()}
        metric = report.metric("get_result p50", "ms", higher_is_better=False)
        say(f"[djtasks] get_result: {rounds} rounds of {count} calls at {small:,} and {large:,} rows")
        for _ in range(rounds):
            for label, (url, rows) in sides.items():
                metric.add(label, p50_get_result(url, rows, count))
        small_label, large_label = sides
        ratio = report.ratio(f"p50 {large_label} / {small_label}", "get_result p50", large_label, small_label)
        report.target(f"get_result p50 at {large_label} <= 1.5 x at {small_label}", ratio, 1.5, at_most=True)
    finally:
        connections.close_all()
        env._admin_sql(f'DROP DATABASE IF EXISTS "{big_name}" WITH (FORCE)')
    return report


def run(smoke: bool) -> list[Report]:
    if smoke:
        count, rounds, small, large, calls = 50, 1, 100, 2_000, 50
    else:
        count = int(os.environ.get("BENCH_ENQUEUE_TASKS", "2000"))
        rounds = int(os.environ.get("BENCH_ENQUEUE_ROUNDS", "3"))
        small, large = 1_000, int(os.environ.get("BENCH_PAGES_LARGE", "1000000"))
        calls = 500
    brokers = os.environ.get("BENCH_BROKERS", "redis,rabbitmq,filesystem").split(",")
    reports = [run_enqueue(broker, count, rounds) for broker in brokers]
    reports.append(run_get_result(small, large, rounds, calls))
    return reports
