"""The web tier beside clients that hold its connections, and what its design costs a single POST.

Two contenders, side by side in one run, on the bench database (PostgreSQL) and Redis, local mode:
- "granian (ASGI)": the Procfile's `web` as it is (helloworld.web);
- "gunicorn gthread": the design before it, gunicorn 27 with 2 workers of 8 threads (the settings
  that the site's gunicorn configuration had).

Per round, for each: (a) single `POST /api/tasks/` from 4 clients, each on a new connection and on
kept-alive ones (p50, ms); (b) another client's `GET /api/tasks/?limit=1`, timed one after another,
alone and beside 1,000 silent connections, 100 clients trickling a request head a byte a second and
100 trickling a body (p50 and max, ms; a request cut off after 5 s counts as 5 s); (c) resident memory
of the server's processes per silent connection (KiB).
"""

from __future__ import annotations

import os
import time

from bench import env
from bench.bench_enqueue import single_posts
from bench.harness import Report, interleave, percentile, say
from tests.support import slow_clients
from tests.support.processes import BIN, free_port

GRANIAN = "granian, Django in threads"
GUNICORN = "gunicorn gthread"
CUT_OFF = 5.0  # seconds a timed request may take before it counts as cut off


def start_gunicorn() -> tuple[object, str]:
    """The design before: gunicorn's gthread worker, as its config file set it (bind, 2 x 8 threads)."""
    port = free_port()
    process = env.start(
        f"gunicorn-{port}",
        [
            *(str(BIN / "gunicorn"), "helloworld.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--worker-class", "gthread", "--workers", "2", "--threads", "8", "--timeout", "25"),
            *("--keep-alive", "95", "--no-control-socket"),
        ],
        env.site_environ("redis"),
    )
    base = f"http://127.0.0.1:{port}"
    env.wait_for(
        lambda: env.http_status(f"{base}/api/tasks/not-a-task/") == 404, 60, message="gunicorn", process=process
    )
    return process, base


def server_pids(process) -> list[int]:
    return process.leftovers()


def run(smoke: bool) -> list[Report]:
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    silent, trickling = (100, 10) if smoke else (1000, 100)
    window = 2.0 if smoke else 6.0
    posts = 20 if smoke else int(os.environ.get("BENCH_WEB_POSTS", "400"))
    rounds = 1 if smoke else int(os.environ.get("BENCH_WEB_ROUNDS", "2"))
    report = Report(
        "web",
        "5. The web tier: another client's requests beside held connections; a single POST's cost",
        {"silent": silent, "trickling": trickling, "window s": window, "single POSTs": posts, "rounds": rounds},
    )
    p50 = report.metric("single POST p50, new connections", "ms", higher_is_better=False)
    p50_kept = report.metric("single POST p50, kept-alive connections", "ms", higher_is_better=False)
    memory = report.metric("memory per silent connection", "KiB", higher_is_better=False)
    scenarios = {
        "alone": None,
        f"{silent} silent": "silent",
        f"{trickling} heads": "head",
        f"{trickling} bodies": "body",
    }
    others = {
        name: (
            report.metric(f"others' p50 {name}", "ms", higher_is_better=False),
            report.metric(f"others' max {name}", "ms", higher_is_better=False),
        )
        for name in scenarios
    }

    with env.site_app_on("redis") as app:
        granian, granian_base = env.start_web("redis")
        gunicorn, gunicorn_base = start_gunicorn()
        servers = {GRANIAN: (granian, granian_base, "granian"), GUNICORN: (gunicorn, gunicorn_base, "gunicorn")}
        try:

            def measure(name: str):
                process, base, program = servers[name]
                port = int(base.rsplit(":", 1)[1])
                p50.add(name, 1000 * percentile(single_posts(base, posts, 4, kept_alive=False), 0.5))
                p50_kept.add(name, 1000 * percentile(single_posts(base, posts, 4, kept_alive=True), 0.5))
                for scenario, kind in scenarios.items():
                    url = f"{base}/api/tasks/?limit=1"
                    if kind is None:
                        timings = slow_clients.timed_requests(url, window, timeout=CUT_OFF)
                    else:
                        before = slow_clients.rss_kib(server_pids(process), program)
                        with slow_clients.holding(port, kind, silent if kind == "silent" else trickling):
                            time.sleep(1)
                            if kind == "silent":
                                during = slow_clients.rss_kib(server_pids(process), program)
                                memory.add(name, (during - before) / silent)
                            timings = slow_clients.timed_requests(url, window, timeout=CUT_OFF)
                    others[scenario][0].add(name, 1000 * percentile(timings, 0.5))
                    others[scenario][1].add(name, 1000 * max(timings))
                    say(f"[web] {name}, {scenario}: {slow_clients.summary(timings)}")
                    time.sleep(CUT_OFF)  # let the server drop what was held before the next scenario

            def between():
                env.purge_queues(app, env.site_queues())
                TaskRecord.objects.all().delete()
                TaskResult.objects.all().delete()

            interleave({name: (lambda name=name: measure(name)) for name in servers}, rounds, between)
        finally:
            granian.terminate()
            gunicorn.terminate()
            env.purge_queues(app, env.site_queues())

    for metric in (p50, p50_kept):
        report.ratio(f"{metric.name}: granian / gunicorn", metric.name, GRANIAN, GUNICORN)
    report.target(
        "single POST p50, granian / gunicorn (new connections) <= 1.10",
        report.ratios[f"{p50.name}: granian / gunicorn"],
        1.10,
        at_most=True,
    )
    report.target(
        "single POST p50, granian / gunicorn (kept alive) <= 1.10",
        report.ratios[f"{p50_kept.name}: granian / gunicorn"],
        1.10,
        at_most=True,
    )
    for scenario, (median, most) in others.items():
        if scenario != "alone":
            report.target(
                f"granian: others' p50 beside {scenario} <= 100 ms", median.median(GRANIAN), 100, at_most=True
            )
            report.target(
                f"granian: others' slowest beside {scenario} < 1000 ms", most.median(GRANIAN), 1000, at_most=True
            )
    return [report]
