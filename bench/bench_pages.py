"""Benchmark 4, pages: latency of the status page, the tasks list and the API detail at a small and
a large number of result rows, on PostgreSQL, over gunicorn (2 sync workers, local mode).

Two databases, each with the site's tables: one with the small number of tasks, one with the large
(each task has its record and its result row, written by SQL in bulk: 95% SUCCESS, 5% FAILURE, one
in five a fetch_url). One gunicorn serves each; every round asks both the same pages in turn, so
the two sizes are measured side by side. The status page and the API detail ask for a random task
each time (so that no single row stays cached); the list asks for its first page, unfiltered and
filtered.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import time
import uuid
from urllib.parse import urlsplit

from bench import env
from bench.harness import Report, percentile, say

NOT_AVAILABLE = "endpoint not available in this checkout"

SEED_SQL = (
    """
INSERT INTO tasks_app_taskrecord (task_id, task_name, args, kwargs, queue, created_at, periodic_task_name, state)
SELECT md5('t' || i)::uuid::text, CASE WHEN mod(i, 5) = 0 THEN 'fetch_url' ELSE 'echo' END,
       '["hello"]'::jsonb, '{}'::jsonb, %(queue)s, now() - make_interval(secs => i), '',
       CASE WHEN mod(i, 20) = 0 THEN 'FAILURE' ELSE 'SUCCESS' END
FROM generate_series(%(first)s::int, %(last)s::int) AS i
""",
    """
INSERT INTO django_celery_results_taskresult (task_id, status, content_type, content_encoding, result, date_done,
       task_args, task_kwargs, task_name, worker, date_created, date_started)
SELECT md5('t' || i)::uuid::text, CASE WHEN mod(i, 20) = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
       'application/json', 'utf-8', '"hello"', now() - make_interval(secs => i) + interval '1 second',
       '["hello"]', '{}',
       CASE WHEN mod(i, 5) = 0 THEN 'tasks_app.tasks.fetch_url' ELSE 'tasks_app.tasks.echo' END,
       'celery@bench', now() - make_interval(secs => i), now() - make_interval(secs => i)
FROM generate_series(%(first)s::int, %(last)s::int) AS i
""",
)


def task_id(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"t{i}".encode()).hexdigest()))


def seed(database_url: str, rows: int) -> float:
    import psycopg

    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE tasks_app_taskrecord, django_celery_results_taskresult")
        step = 200_000
        for first in range(1, rows + 1, step):
            last = min(rows, first + step - 1)
            with conn.transaction():
                for statement in SEED_SQL:
                    conn.execute(statement, {"first": first, "last": last, "queue": f"{env.PREFIX}.default"})
        conn.execute("VACUUM ANALYZE tasks_app_taskrecord")
        conn.execute("VACUUM ANALYZE django_celery_results_taskresult")
    return time.monotonic() - started


def get(base: str, path: str) -> tuple[int, float]:
    parts = urlsplit(base)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def run(smoke: bool) -> list[Report]:
    small, large = (100, 2_000) if smoke else (1_000, int(os.environ.get("BENCH_PAGES_LARGE", "1000000")))
    requests_per_round = 20 if smoke else int(os.environ.get("BENCH_PAGES_REQUESTS", "150"))
    rounds = 1 if smoke else 3
    report = Report(
        "pages",
        "4. Pages on PostgreSQL over gunicorn: latency at a small and a large number of result rows",
        {"rows": [small, large], "requests per page per round": requests_per_round, "rounds": rounds},
    )
    big_name = f"{env.DATABASE_NAME}_big"
    big_url = f"{env.POSTGRES_SERVER}/{big_name}"
    from django.db import connections

    connections.close_all()
    env._admin_sql(f'DROP DATABASE IF EXISTS "{big_name}" WITH (FORCE)')
    env._admin_sql(f'CREATE DATABASE "{big_name}" TEMPLATE "{env.DATABASE_NAME}"')
    servers = []
    try:
        seeded = {small: seed(env.DATABASE_URL, small), large: seed(big_url, large)}
        report.settings["seeded in (s)"] = {rows: round(s, 1) for rows, s in seeded.items()}
        sides = {}
        for rows, url in ((small, env.DATABASE_URL), (large, big_url)):
            process, base = env.start_gunicorn("redis", extra={"DATABASE_URL": url})
            servers.append(process)
            sides[f"{rows:,} rows"] = (base, rows)
        pages = {
            "status page /tasks/<id>/": lambda rows: f"/tasks/{task_id(random.randint(1, rows))}/",
            "API detail /api/tasks/<id>/": lambda rows: f"/api/tasks/{task_id(random.randint(1, rows))}/",
            "tasks list /tasks/": lambda rows: "/tasks/",
            "tasks list /tasks/?state=SUCCESS&task=echo": lambda rows: "/tasks/?state=SUCCESS&task=echo",
        }
        unavailable = set()
        base, rows = next(iter(sides.values()))
        for page, path in pages.items():
            status, _ = get(base, path(rows))
            if status == 404 and "list" in page:
                unavailable.add(page)
                report.note(f"{page}: {NOT_AVAILABLE} (it answered 404); not measured")
            elif status != 200:
                raise RuntimeError(f"{page} answered {status}")
        say(f"[pages] {rounds} rounds of {requests_per_round} requests per page, {small:,} and {large:,} rows")
        for _ in range(rounds):
            for page, path in pages.items():
                if page in unavailable:
                    continue
                for label, (base, rows) in sides.items():
                    get(base, path(rows))  # one untimed request: a cold worker is not the page's cost
                    latencies = []
                    for _ in range(requests_per_round):
                        status, seconds = get(base, path(rows))
                        if status != 200:
                            raise RuntimeError(f"{page} at {label} answered {status}")
                        latencies.append(1000 * seconds)
                    report.metric(f"{page} p50", "ms", higher_is_better=False).add(label, percentile(latencies, 0.5))
                    report.metric(f"{page} p99", "ms", higher_is_better=False).add(label, percentile(latencies, 0.99))
        small_label, large_label = f"{small:,} rows", f"{large:,} rows"
        for page in pages:
            name = f"{page} p50"
            if page in unavailable:
                report.target(f"{page}: p50 at {large_label} <= 1.5 x at {small_label}", None, 1.5, True, NOT_AVAILABLE)
                continue
            ratio = report.ratio(f"{page} p50 {large_label} / {small_label}", name, large_label, small_label)
            report.target(f"{page}: p50 at {large_label} <= 1.5 x at {small_label}", ratio, 1.5, at_most=True)
    finally:
        for process in servers:
            process.terminate()
        env._admin_sql(f'DROP DATABASE IF EXISTS "{big_name}" WITH (FORCE)')
    return [report]
