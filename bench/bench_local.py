"""Benchmark 5, local mode: the embedded broker (helloworld.transports) as `make run` runs it.

Each contender is a local-mode site of its own (SQLite, the filesystem broker, in a data directory
of its own) with one worker (`celery -A helloworld worker`, concurrency 2, the site's settings):
- the site's transport (`filesystem-ordered://`), with the web server in front for the bulk API;
- kombu's own `filesystem://` transport with the same folders and the 0.2 s polling interval
  (bench/stock_filesystem_app.py): the baseline for the idle cost.

Rows:
- drain rate of 1,000 echo tasks sent in one `POST /api/tasks/bulk/`, from the request to the last
  SUCCESS (the worker's own `date_done`);
- drain rate with 100 and with 10,000 tasks waiting: the worker is frozen (SIGSTOP), the queue
  filled, the worker thawed; the rate is that of its first 100 tasks, from the first SUCCESS to the
  100th (so that the wake-up after SIGCONT is not counted);
- idle CPU of each worker (all its processes) with nothing queued, both measured over the same
  window.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing, suppress
from datetime import UTC, datetime

import psutil

from bench import env
from bench.bench_enqueue import post
from bench.harness import Report, interleave, say

SITE = "site transport"
STOCK = "kombu filesystem:// (0.2 s)"
MEASURED = 100  # tasks timed in each backlog run


class LocalSite:
    """A local-mode site in a data directory of its own: SQLite, the filesystem broker, a worker,
    and the web server when asked."""

    def __init__(self, name: str, app_module: str = "helloworld", web: bool = False):
        from celery import Celery

        from helloworld import brokers

        self.name = name
        self.dir = env.DATA_DIR / f"local-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "db.sqlite3"
        overrides = {"HELLOWORLD_DATA_DIR": str(self.dir), "DATABASE_URL": f"sqlite:///{self.db}"}
        self.environ = env.site_environ(None, **overrides)
        subprocess.run(
            [str(env.BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=env.ROOT,
            env=self.environ,
            check=True,
        )
        self.broker = brokers.filesystem(self.dir)
        self.app = Celery("helloworld", set_as_current=False)
        self.app.config_from_object("django.conf:settings", namespace="CELERY")
        self.app.conf.broker_url = "filesystem://" if app_module != "helloworld" else self.broker.url
        self.app.conf.broker_transport_options = self.broker.transport_options
        argv = [str(env.BIN / "celery"), "-A", app_module, "worker", "-c", "2", "-l", "WARNING", "-n", f"{name}@%h"]
        self.worker = env.start(f"local-worker-{name}", argv, self.environ)
        self.web, self.base = env.start_web("filesystem", extra=overrides) if web else (None, None)

    def send(self, count: int) -> None:
        from tasks_app.tasks import echo

        queue = f"{env.PREFIX}.default"
        with self.app.producer_or_acquire() as producer:
            for _ in range(count):
                self.app.send_task(echo.name, ["hello"], queue=queue, producer=producer)

    def _sql(self, statement: str):
        with closing(sqlite3.connect(self.db, timeout=30)) as connection, connection:
            return connection.execute(statement).fetchall()

    def successes(self) -> int:
        return self._sql("SELECT COUNT(*) FROM django_celery_results_taskresult WHERE status = 'SUCCESS'")[0][0]

    def done_times(self, limit: int) -> list[float]:
        rows = self._sql(
            "SELECT date_done FROM django_celery_results_taskresult WHERE status = 'SUCCESS' "
            f"ORDER BY date_done LIMIT {int(limit)}"
        )
        return [_timestamp(value) for (value,) in rows]

    def clear_results(self) -> None:
        self._sql("DELETE FROM django_celery_results_taskresult")

    def wait_for(self, count: int, timeout: float = 300) -> None:
        env.wait_for(
            lambda: self.successes() >= count,
            timeout,
            message=f"{count} tasks on {self.name}",
            interval=0.05,
            process=self.worker,
        )

    def drop_waiting(self) -> None:
        """Empty the site's queues on disk (the worker frozen meanwhile), faster than draining them."""
        self.worker.signal_all(signal.SIGSTOP)
        try:
            with self.app.connection_for_write() as connection:
                for name in env.site_queues():
                    connection.default_channel.queue_purge(name)
        finally:
            self.worker.signal_all(signal.SIGCONT)

    def settle(self) -> None:
        """Wait until the worker has finished what it had taken (no new SUCCESS for a second)."""
        last, steady_since = -1, time.monotonic()
        while time.monotonic() - steady_since < 1.0:
            now = self.successes()
            if now != last:
                last, steady_since = now, time.monotonic()
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time of the worker and its children so far: the scheduler's nanosecond count for
        every thread (/proc/<pid>/task/<tid>/schedstat), not the 10 ms ticks `ps` counts, which
        an idle worker uses a handful of in 20 s."""
        try:
            root = psutil.Process(self.worker.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0
        for process in processes:
            with suppress(OSError, psutil.Error):
                for task in os.scandir(f"/proc/{process.pid}/task"):
                    with suppress(OSError), open(f"{task.path}/schedstat") as handle:
                        total += int(handle.read().split()[0])
        return total / 1e9

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None:
                process.terminate()


def _timestamp(value: str) -> float:
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def run(smoke: bool) -> list[Report]:
    bulk = 100 if smoke else int(os.environ.get("BENCH_LOCAL_BULK", "1000"))
    big = 1000 if smoke else int(os.environ.get("BENCH_LOCAL_BACKLOG", "10000"))
    rounds = 1 if smoke else int(os.environ.get("BENCH_LOCAL_ROUNDS", "3"))
    idle_seconds = 3.0 if smoke else float(os.environ.get("BENCH_LOCAL_IDLE_SECONDS", "20"))
    report = Report(
        "local",
        "5. Local mode (make run): the embedded filesystem broker, one worker, concurrency 2, SQLite",
        {"bulk tasks": bulk, "backlogs": f"{MEASURED} and {big:,}", "rounds": rounds, "idle window s": idle_seconds},
    )
    drain = report.metric("drain rate", "tasks/s")
    idle = report.metric("worker idle CPU (all processes)", "% of a core", higher_is_better=False)
    small_name, big_name = f"{MEASURED} waiting", f"{big:,} waiting"
    bulk_name = f"{bulk:,} via bulk API"

    site = stock = None
    try:
        site = LocalSite("site", web=True)
        stock = LocalSite("stock", app_module="bench.stock_filesystem_app")
        for contender in (site, stock):
            contender.send(1)
            contender.wait_for(1, 120)
            contender.clear_results()

        def run_bulk():
            site.clear_results()
            specs = [{"task": "echo", "args": [n]} for n in range(bulk)]
            started = time.time()
            status, answer = post(site.base, "/api/tasks/bulk/", {"tasks": specs})
            if status != 202:
                raise RuntimeError(f"bulk POST answered {status}: {str(answer)[:200]}")
            site.wait_for(bulk)
            drain.add(bulk_name, bulk / (max(site.done_times(bulk)) - started))

        def backlog(contender: LocalSite, waiting: int, label: str):
            def measure():
                contender.clear_results()
                contender.worker.signal_all(signal.SIGSTOP)
                try:
                    contender.send(waiting)
                finally:
                    contender.worker.signal_all(signal.SIGCONT)
                contender.wait_for(MEASURED)
                times = contender.done_times(MEASURED)
                drain.add(label, (len(times) - 1) / (times[-1] - times[0]))
                if waiting > MEASURED:
                    contender.drop_waiting()
                contender.settle()

            return measure

        say(f"[local] {rounds} rounds: bulk {bulk}, backlogs {MEASURED} and {big}")
        contenders = {
            bulk_name: run_bulk,
            small_name: backlog(site, MEASURED, small_name),
            big_name: backlog(site, big, big_name),
        }
        interleave(contenders, rounds)
        if not smoke:  # about ten seconds: kombu's transport takes two tasks per polling interval
            backlog(stock, MEASURED, f"{small_name}, {STOCK}")()

        say(f"[local] idle CPU over {idle_seconds:g} s, both workers at once")
        for contender in (site, stock):
            contender.settle()
        for _ in range(rounds):
            before = {c.name: c.cpu_seconds() for c in (site, stock)}
            started = time.monotonic()
            time.sleep(idle_seconds)
            elapsed = time.monotonic() - started
            for contender, label in ((site, SITE), (stock, STOCK)):
                idle.add(label, 100 * (contender.cpu_seconds() - before[contender.name]) / elapsed)
    finally:
        for contender in (site, stock):
            if contender is not None:
                contender.stop()

    report.ratio(f"{big_name} / {small_name}", "drain rate", big_name, small_name)
    report.ratio("idle CPU: site / kombu", "worker idle CPU (all processes)", SITE, STOCK)
    report.target(f"{bulk_name}, tasks/s", drain.median(bulk_name), 100)
    report.target(f"drain rate {big_name} / {small_name}", report.ratios[f"{big_name} / {small_name}"], 0.8)
    report.target("idle CPU site / kombu's filesystem:// at 0.2 s", report.ratios["idle CPU: site / kombu"], 1.0, True)
    if smoke:
        report.note(f"smoke sizes: {bulk} via the bulk API, a backlog of {big:,}; targets are for the full sizes")
    return [report]
