"""Benchmark 2, end to end: how fast one worker (concurrency 2) drains a queue of `echo` tasks.

Contenders, all on the same Redis (database 14, queues of their own), all started once and kept:
- the site: `celery -A helloworld worker -c 2` with the site's full settings (results in PostgreSQL
  through django-celery-results, extended results, started state tracked, late acks, prefetch 1);
- the same with CELERY_WORKER_PREFETCH_MULTIPLIER=4, the setting's trade-off (helloworld/settings.py);
- the stock stack (bench/stock_app.py): Celery with django-celery-results on the same PostgreSQL
  (`django-db`, started state tracked, extended results), the worker's default settings: what a
  Django user sets up from the libraries' documentation instead of the site;
- a bare Celery app (bench/bare_app.py): Celery's defaults, results ignored;
- the floor of the site's guarantee (bench/floor_app.py): bare Celery acking late at prefetch 1,
  each task committing one row to PostgreSQL before its ack;
- RQ (`rq worker-pool -n 2`, each job in a forked work horse, RQ's design), results kept.

Each run freezes the contender's processes (SIGSTOP), fills its queue, thaws them (SIGCONT: the
clock starts) and stops the clock when the last task is done: the last SUCCESS row, RQ's
finished-job registry, the bare app's empty queue (it may still hold up to 8 prefetched echo
tasks then, well under a millisecond of work). The worker's memory is the resident size of all
its processes together, sampled every 0.2 s.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import suppress

import psutil

from bench import env
from bench.harness import Report, interleave, say

SITE = "site (full settings)"
SITE_PREFETCH = "site, prefetch multiplier 4"
STOCK = "stock stack (django-celery-results)"
BARE = "bare Celery app"
FLOOR = "floor (late ack, prefetch 1, one INSERT)"
RQ = "RQ"


def tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with suppress(psutil.Error):
            total += process.memory_info().rss
    return total


class PeakSampler:
    """The largest resident size of a process tree while the block runs."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))


def run(smoke: bool) -> list[Report]:
    import redis
    from celery import Celery
    from django_celery_results.models import TaskResult
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from bench import floor_app, rq_jobs, stock_app
    from tasks_app.models import TaskRecord
    from tasks_app.tasks import echo

    tasks = 200 if smoke else int(os.environ.get("BENCH_E2E_TASKS", "2000"))
    rounds = 1 if smoke else int(os.environ.get("BENCH_E2E_ROUNDS", "3"))
    # The full soak runs to the 50,000th task; make bench stops at the 20,000th to fit in 20 minutes
    # (BENCH_E2E_SOAK_TASKS=50000 runs the whole of it, about four more minutes on two cores).
    soak = 0 if smoke else int(os.environ.get("BENCH_E2E_SOAK_TASKS", "20000"))
    report = Report(
        "e2e",
        "2. End to end on redis: one worker, concurrency 2, draining echo tasks",
        {"broker": "redis", "tasks per run": tasks, "rounds": rounds, "worker concurrency": 2},
    )
    if not smoke and tasks < 10_000:
        report.note(
            f"runs of {tasks:,} tasks, {rounds} rounds, instead of 10,000: RQ drains about 50 a "
            "second here, and make bench must fit in 20 minutes (BENCH_E2E_TASKS, BENCH_E2E_ROUNDS change them)"
        )
    rate = report.metric("drain throughput", "tasks/s")
    memory = report.metric("worker peak memory (all processes)", "MB", higher_is_better=False)

    client = redis.Redis.from_url(env.REDIS_URL)
    site_queue, bare_queue, rq_queue_name = f"{env.PREFIX}.default", f"{env.PREFIX}.bare", f"{env.PREFIX}.rq"
    stock_queue = f"{env.PREFIX}.stock"
    redis_env = env.site_environ("redis")
    site = env.start(
        "worker-site",
        # A node name each: two workers named alike share one remote-control queue (DESIGN's pitfalls).
        env.worker_argv("helloworld", site_queue, "site@%h"),
        redis_env,
    )
    prefetch_queue = f"{env.PREFIX}.low"  # a queue of the site's own, which no other contender reads
    site_prefetch = env.start(
        "worker-site-prefetch",
        env.worker_argv("helloworld", prefetch_queue, "prefetch@%h"),
        {**redis_env, "CELERY_WORKER_PREFETCH_MULTIPLIER": "4"},
    )
    stock = env.start(
        "worker-stock",
        env.worker_argv("bench.stock_app", stock_queue, quiet=True),
        {
            **redis_env,
            "DJANGO_SETTINGS_MODULE": "bench.stock_settings",
            "BENCH_STOCK_BROKER": env.REDIS_URL,
            "BENCH_STOCK_QUEUE": stock_queue,
        },
    )
    bare = env.start(
        "worker-bare",
        env.worker_argv("bench.bare_app", bare_queue, quiet=True),
        {**redis_env, "BENCH_BARE_BROKER": env.REDIS_URL, "BENCH_BARE_QUEUE": bare_queue},
    )
    floor_queue = f"{env.PREFIX}.floor"
    floor_app.create_table(env.DATABASE_URL)
    floor = env.start(
        "worker-floor",
        env.worker_argv("bench.floor_app", floor_queue, quiet=True),
        floor_app.environ(redis_env, env.REDIS_URL, floor_queue, env.DATABASE_URL),
    )
    rq_worker = env.start(
        "worker-rq",
        [str(env.BIN / "rq"), "worker-pool", "-n", "2", "-u", env.REDIS_URL, "-q", rq_queue_name],
        redis_env,
    )
    bare_client = Celery("bare-client", broker=env.REDIS_URL)

    def stock_done() -> int:
        return TaskResult.objects.filter(task_name=stock_app.TASK_NAME, status="SUCCESS").count()

    rq_queue = Queue(rq_queue_name, connection=client)
    finished = FinishedJobRegistry(queue=rq_queue)
    site_done = {"count": 0}  # every site task so far, for the memory soak

    try:
        with env.site_app_on("redis") as app:
            env.purge_queues(app, env.site_queues())
            # Each contender up and consuming: one task through each before any clock runs.
            echo.apply_async(["warm"], queue=site_queue)
            echo.apply_async(["warm"], queue=prefetch_queue)
            bare_client.send_task("echo", ["warm"], queue=bare_queue)
            bare_client.send_task(stock_app.TASK_NAME, ["warm"], queue=stock_queue)
            bare_client.send_task("echo", ["warm"], queue=floor_queue)
            rq_queue.enqueue(rq_jobs.echo, "warm", result_ttl=3600)
            env.wait_for(
                lambda: TaskResult.objects.filter(status="SUCCESS").count() >= 2,
                90,
                message="the site workers",
                process=site,
            )
            env.wait_for(lambda: client.llen(bare_queue) == 0, 90, message="the bare worker", process=bare)
            env.wait_for(lambda: stock_done() >= 1, 90, message="the stock stack's worker", process=stock)
            env.wait_for(lambda: finished.count >= 1, 90, message="the RQ workers", process=rq_worker)
            env.wait_for(lambda: floor_app.done(env.DATABASE_URL) >= 1, 90, message="the floor", process=floor)
            TaskResult.objects.all().delete()

            def drain(name, process, fill, done):
                process.signal_all(signal.SIGSTOP)
                try:
                    fill()
                finally:
                    with PeakSampler(process.pid) as sampler:
                        started = time.perf_counter()
                        process.signal_all(signal.SIGCONT)
                        env.wait_for(done, 600, message=f"{name} to drain", interval=0.02, process=process)
                        seconds = time.perf_counter() - started
                rate.add(name, tasks / seconds)
                memory.add(name, sampler.peak / 2**20)

            def site_run(name, process, queue):
                def fill():
                    env.send_site_echoes(queue, tasks)

                drain(name, process, fill, lambda: TaskResult.objects.filter(status="SUCCESS").count() >= tasks)

            def run_site():
                site_run(SITE, site, site_queue)
                site_done["count"] += tasks

            def run_stock():
                def fill():
                    with bare_client.producer_or_acquire() as producer:
                        for _ in range(tasks):
                            bare_client.send_task(stock_app.TASK_NAME, ["hello"], queue=stock_queue, producer=producer)

                drain(STOCK, stock, fill, lambda: stock_done() >= tasks)

            def run_bare():
                def fill():
                    with bare_client.producer_or_acquire() as producer:
                        for _ in range(tasks):
                            bare_client.send_task("echo", ["hello"], queue=bare_queue, producer=producer)

                drain(BARE, bare, fill, lambda: client.llen(bare_queue) == 0)

            def run_floor():
                floor_app.clear(env.DATABASE_URL)

                def fill():
                    with bare_client.producer_or_acquire() as producer:
                        for _ in range(tasks):
                            bare_client.send_task("echo", ["hello"], queue=floor_queue, producer=producer)

                drain(FLOOR, floor, fill, lambda: floor_app.done(env.DATABASE_URL) >= tasks)

            def run_rq():
                base = finished.count

                def fill():
                    for _ in range(tasks):
                        rq_queue.enqueue(rq_jobs.echo, "hello", result_ttl=3600)

                drain(RQ, rq_worker, fill, lambda: finished.count >= base + tasks)

            def between():
                TaskResult.objects.all().delete()
                TaskRecord.objects.all().delete()

            say(f"[e2e] {rounds} rounds of {tasks} tasks: site (prefetch 1, 4), stock stack, bare Celery, floor, RQ")
            contenders = {
                SITE: run_site,
                SITE_PREFETCH: lambda: site_run(SITE_PREFETCH, site_prefetch, prefetch_queue),
                STOCK: run_stock,
                BARE: run_bare,
                FLOOR: run_floor,
                RQ: run_rq,
            }
            interleave(contenders, rounds, between)

            if soak:
                if soak < 50_000:
                    report.note(
                        f"memory soak reduced to {soak:,} tasks (the full soak is 50,000) to fit make bench in "
                        "20 minutes; BENCH_E2E_SOAK_TASKS=50000 python -m bench --only e2e runs all of it"
                    )
                soak_memory(report, site, site_done, soak, site_queue, echo)
    finally:
        for process in (site, site_prefetch, stock, bare, floor, rq_worker):
            process.terminate()
        bare_client.close()
        client.close()

    report.ratio("site / bare Celery", "drain throughput", SITE, BARE)
    report.ratio("site / floor", "drain throughput", SITE, FLOOR)
    report.ratio("floor / bare Celery", "drain throughput", FLOOR, BARE)
    report.ratio("site / stock stack", "drain throughput", SITE, STOCK)
    report.ratio("site / RQ", "drain throughput", SITE, RQ)
    report.ratio("site with prefetch 4 / bare Celery", "drain throughput", SITE_PREFETCH, BARE)
    report.target("site's full settings >= 0.85 x the floor of its guarantee", report.ratios["site / floor"], 0.85)
    report.target("site's full settings >= 3 x the stock stack", report.ratios["site / stock stack"], 3.0)
    report.target("site's full settings >= 3 x RQ", report.ratios["site / RQ"], 3.0)
    if not soak:
        report.target(
            "worker memory flat (within 10%) from the 10,000th to the 50,000th task",
            None,
            0.10,
            at_most=True,
            note="soak not run at these sizes (BENCH_E2E_SOAK_TASKS=0)",
        )
    return [report]


def soak_memory(report: Report, site: env.Process, done: dict, total: int, queue: str, echo) -> None:
    """Keep the site worker busy up to `total` tasks; its memory after the 10,000th and at the end."""
    from django_celery_results.models import TaskResult

    checkpoints = {}
    batch = 5000
    say(f"[e2e] memory soak: the site worker up to task {total:,}")
    while done["count"] < total:
        count = min(batch, total - done["count"])
        TaskResult.objects.all().delete()
        for _ in range(count):
            echo.apply_async(["hello"], queue=queue)
        env.wait_for(
            lambda n=count: TaskResult.objects.filter(status="SUCCESS").count() >= n,
            900,
            message="the soak",
            process=site,
        )
        done["count"] += count
        checkpoints[done["count"]] = tree_rss(site.pid) / 2**20
    first = min((n for n in checkpoints if n >= 10_000), default=None)
    last = max(checkpoints)
    growth = (checkpoints[last] - checkpoints[first]) / checkpoints[first] if first else None
    report.settings["memory soak (task: MB)"] = {n: round(mb, 1) for n, mb in checkpoints.items()}
    report.target(
        f"worker memory flat (within 10%) from the {first or 10_000:,}th to the {last:,}th task",
        growth,
        0.10,
        at_most=True,
        note=f"{checkpoints.get(first, 0):.1f} MB -> {checkpoints[last]:.1f} MB" if first else "",
    )
