"""Benchmark 4, pages: latency of the site's pages and lists at a small and a large number of rows,
on PostgreSQL, over the web server (the Procfile's web, 2 workers, local mode). Every list is a keyset page
(tasks_app.selectors.pagination), so a page should cost about the same however long its list is.

Two databases, each with the site's tables; one web server serves each, and every round asks both
the same pages in turn, so the two sizes are measured side by side. Two phases:

1. Task records: the small and the large number of tasks (each with its record and its result
   row, written by SQL in bulk: 95% SUCCESS, 5% FAILURE, one in five a fetch_url, one in ten a
   run of the periodic task "bench nightly"), and the same 100 periodic tasks on both sides. The
   status page and the API detail ask for a random task each time (so that no single row stays
   cached); the lists ask for their first page: the tasks list unfiltered and filtered, the home
   page's recent tasks, and the periodic detail page's runs of "bench nightly"; and /metrics, as
   Prometheus scrapes it (its counts cover the last hour: 1,000 rows on one side, 3,600 on the other);
   the stats per task type, `/api/stats/` and the dashboard's refresh that shows them (over the last
   day: 1,000 rows on one side, 86,400 on the other).
2. Periodic tasks: both sides reseeded to the small number of tasks, and to 100 and 10,000
   periodic tasks (half interval, half crontab): the home page (its first ten), `/periodic/` and
   `/api/periodic/`.
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
       '["hello"]'::jsonb, '{}'::jsonb, %(queue)s, now() - make_interval(secs => i),
       CASE WHEN mod(i, 10) = 0 THEN 'bench nightly' ELSE '' END,
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


NIGHTLY = "bench nightly"  # the periodic task whose runs are one task in ten

PERIODIC_SQL = (
    "DELETE FROM django_celery_beat_periodictask",
    """
INSERT INTO django_celery_beat_periodictask (name, task, interval_id, crontab_id, args, kwargs, queue, headers,
       one_off, enabled, total_run_count, date_changed, description)
SELECT CASE WHEN i = 0 THEN %(nightly)s::text ELSE 'bench periodic ' || lpad(i::text, 6, '0') END,
       'tasks_app.tasks.echo',
       CASE WHEN mod(i, 2) = 0 THEN %(interval)s::int END, CASE WHEN mod(i, 2) = 1 THEN %(crontab)s::int END,
       '["hello"]', '{}', %(queue)s, '{}', false, true, 0, now(), ''
FROM generate_series(0, %(count)s::int - 1) AS i
""",
)


def seed_periodic(database_url: str, count: int) -> int:
    """Replace the periodic tasks with `count` of them ("bench nightly" and others); its id."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        interval = conn.execute(
            "INSERT INTO django_celery_beat_intervalschedule (every, period) VALUES (1, 'hours') RETURNING id"
        ).fetchone()[0]
        crontab = conn.execute(
            "INSERT INTO django_celery_beat_crontabschedule (minute, hour, day_of_week, day_of_month, month_of_year, "
            "timezone) VALUES ('*/15', '*', '*', '*', '*', 'UTC') RETURNING id"
        ).fetchone()[0]
        values = {"nightly": NIGHTLY, "interval": interval, "crontab": crontab, "count": count}
        for statement in PERIODIC_SQL:
            conn.execute(statement, {**values, "queue": f"{env.PREFIX}.default"})
        conn.execute("ANALYZE django_celery_beat_periodictask")
        return conn.execute("SELECT id FROM django_celery_beat_periodictask WHERE name = %s", [NIGHTLY]).fetchone()[0]


def task_id(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"t{i}".encode()).hexdigest()))


SEEDED_TABLES = ("tasks_app_taskrecord", "django_celery_results_taskresult")


def seed(database_url: str, rows: int, statements=SEED_SQL, tables=SEEDED_TABLES) -> float:
    """Empty `tables`, fill them with `rows` tasks by `statements` (200,000 rows a transaction), and
    analyze them; the seconds it took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(tables)}")
        step = 200_000
        for first in range(1, rows + 1, step):
            last = min(rows, first + step - 1)
            with conn.transaction():
                for statement in statements:
                    conn.execute(statement, {"first": first, "last": last, "queue": f"{env.PREFIX}.default"})
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
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


TASK_PAGES = {
    "status page /tasks/<id>/": lambda side: f"/tasks/{task_id(random.randint(1, side['rows']))}/",
    "API detail /api/tasks/<id>/": lambda side: f"/api/tasks/{task_id(random.randint(1, side['rows']))}/",
    "tasks list /tasks/": lambda side: "/tasks/",
    "tasks list /tasks/?state=SUCCESS&task=echo": lambda side: "/tasks/?state=SUCCESS&task=echo",
    "home page /": lambda side: "/",
    "periodic detail /periodic/<id>/ (its runs)": lambda side: f"/periodic/{side['nightly']}/",
    # A Prometheus scrape: the last hour's counts and runtimes, beat, and the shared broker snapshot.
    "metrics /metrics": lambda side: "/metrics",
    # The stats per task type (tasks_app.selectors.task_stats): over the last day's runs (1,000 rows on one
    # side, 86,400 on the other), cached DASHBOARD_FIGURES_CACHE_SECONDS; set it to 0 to measure each computation.
    "stats API /api/stats/": lambda side: "/api/stats/",
    "dashboard refresh /dashboard/?fragment=1 (with task types)": lambda side: "/dashboard/?fragment=1",
}
PERIODIC_PAGES = {
    "home page / (periodic tasks)": lambda side: "/",
    "periodic list /periodic/": lambda side: "/periodic/",
    "API periodic list /api/periodic/": lambda side: "/api/periodic/",
}


def measure(report: Report, pages: dict, sides: dict, rounds: int, requests_per_round: int) -> None:
    """Every page at both sides, side by side, `rounds` times; p50 and p99 per page and side, and
    the target: p50 at the large side <= 1.5 x at the small one."""
    unavailable = set()
    first = next(iter(sides.values()))
    for page, path in pages.items():
        status, _ = get(first["base"], path(first))
        if status == 404:
            unavailable.add(page)
            report.note(f"{page}: {NOT_AVAILABLE} (it answered 404); not measured")
        elif status != 200:
            raise RuntimeError(f"{page} answered {status}")
    for _ in range(rounds):
        for page, path in pages.items():
            if page in unavailable:
                continue
            for label, side in sides.items():
                get(side["base"], path(side))  # one untimed request: a cold worker is not the page's cost
                latencies = []
                for _ in range(requests_per_round):
                    status, seconds = get(side["base"], path(side))
                    if status != 200:
                        raise RuntimeError(f"{page} at {label} answered {status}")
                    latencies.append(1000 * seconds)
                report.metric(f"{page} p50", "ms", higher_is_better=False).add(label, percentile(latencies, 0.5))
                report.metric(f"{page} p99", "ms", higher_is_better=False).add(label, percentile(latencies, 0.99))
    small, large = list(sides)
    for page in pages:
        target = f"{page}: p50 at {large} <= 1.5 x at {small}"
        if page in unavailable:
            report.target(target, None, 1.5, True, NOT_AVAILABLE)
            continue
        ratio = report.ratio(f"{page} p50 {large} / {small}", f"{page} p50", large, small)
        report.target(target, ratio, 1.5, at_most=True)


def run(smoke: bool) -> list[Report]:
    small, large = (100, 2_000) if smoke else (1_000, int(os.environ.get("BENCH_PAGES_LARGE", "1000000")))
    few, many = (20, 200) if smoke else (100, int(os.environ.get("BENCH_PAGES_PERIODIC", "10000")))
    requests_per_round = 20 if smoke else int(os.environ.get("BENCH_PAGES_REQUESTS", "150"))
    rounds = 1 if smoke else 3
    report = Report(
        "pages",
        "4. Pages on PostgreSQL over the web server: latency at a small and a large number of rows",
        {
            "task rows": [small, large],
            "periodic tasks": [few, many],
            "requests per page per round": requests_per_round,
            "rounds": rounds,
        },
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
            process, base = env.start_web("redis", extra={"DATABASE_URL": url})
            servers.append(process)
            sides[f"{rows:,} rows"] = {"base": base, "rows": rows, "url": url, "nightly": seed_periodic(url, few)}
        say(f"[pages] {rounds} rounds of {requests_per_round} requests per page, {small:,} and {large:,} rows")
        measure(report, TASK_PAGES, sides, rounds, requests_per_round)

        small_side, large_side = sides.values()
        seed(large_side["url"], small)  # the same tasks on both sides: only the periodic tasks differ
        periodic_sides = {}
        for count, side in ((few, small_side), (many, large_side)):
            periodic_sides[f"{count:,} periodic tasks"] = {
                **side,
                "rows": small,
                "nightly": seed_periodic(side["url"], count),
            }
        say(f"[pages] the periodic lists at {few:,} and {many:,} periodic tasks")
        measure(report, PERIODIC_PAGES, periodic_sides, rounds, requests_per_round)
    finally:
        for process in servers:
            process.terminate()
        env._admin_sql(f'DROP DATABASE IF EXISTS "{big_name}" WITH (FORCE)')
    return [report]
