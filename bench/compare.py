"""Site workers of several revisions or settings, side by side: `python -m bench.compare`.

How each performance lever is measured one at a time: the same end-to-end drain as benchmark 2
(one worker at concurrency 2, Redis, or RabbitMQ with `--broker rabbitmq`, `echo` tasks, results
in PostgreSQL), for workers started from other git revisions (each in a worktree of its own, on
this checkout's virtualenv and database schema) or with other environment variables, interleaved
over rounds, with a bare Celery app as the reference. Besides the rates it prints each worker's CPU per task, its main
process's share apart, which tells a worker waiting from a worker working.

    python -m bench.compare "before=HEAD~1" "now=." "now, prefetch 4=.,CELERY_WORKER_PREFETCH_MULTIPLIER=4"

Each contender is `NAME=REVISION[,VARIABLE=VALUE...]`, `.` being this working tree. Revisions
must share this checkout's migrations (the database is migrated once, from here).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import psutil

from bench import env
from bench.harness import Report, interleave, say

BARE = "bare Celery app"
FLOOR = "floor (late ack, prefetch 1, one INSERT)"


@dataclass
class Contender:
    name: str
    revision: str
    environ: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Contender:
        name, _, spec = text.partition("=")
        revision, *pairs = spec.split(",")
        if not name or not revision or any("=" not in pair for pair in pairs):
            raise ValueError(f"{text!r}: write NAME=REVISION[,VARIABLE=VALUE...], e.g. 'now=.'")
        return cls(name, revision, dict(pair.split("=", 1) for pair in pairs))


def checkout(revision: str) -> str:
    """A directory holding `revision`: this working tree for `.`, else a new worktree."""
    if revision == ".":
        return env.ROOT
    where = env.DATA_DIR / f"worktree-{len(list(env.DATA_DIR.glob('worktree-*')))}"
    git = ["git", "-C", str(env.ROOT), "worktree"]
    subprocess.run([*git, "add", "--quiet", "--detach", str(where), revision], check=True)
    return where


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def run(contenders: list[Contender], tasks: int, rounds: int, broker: str = "redis") -> Report:
    from celery import Celery
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    report = Report(
        "compare",
        f"Site workers side by side: one worker each, concurrency 2, draining echo tasks on {broker}",
        {"tasks per run": tasks, "rounds": rounds, **{c.name: f"{c.revision} {c.environ or ''}" for c in contenders}},
    )
    rate = report.metric("drain throughput", "tasks/s")
    cpu = report.metric("worker CPU per task (all processes)", "ms", higher_is_better=False)
    main_cpu = report.metric("worker CPU per task (main process)", "ms", higher_is_better=False)
    url = env.BROKER_URLS[broker]
    client = Celery("compare-client", broker=url)
    workers, queues, worktrees = {}, {}, []
    try:
        for number, contender in enumerate(contenders):
            root = checkout(contender.revision)
            if root != env.ROOT:
                worktrees.append(root)
            prefix = f"{env.PREFIX}c{number}"  # queues, control exchange and node name of its own
            queue = f"{prefix}.default"
            queues[contender.name] = (queue, "tasks_app.tasks.echo")
            environ = {**env.site_environ(broker), "CELERY_QUEUE_PREFIX": prefix, "PYTHONPATH": str(root)}
            workers[contender.name] = env.start(
                f"compare-{number}",
                env.worker_argv("helloworld", queue, f"c{number}@%h"),
                {**environ, **contender.environ},
                cwd=root,
            )
        bare_queue = f"{env.PREFIX}.bare"
        queues[BARE] = (bare_queue, "echo")
        workers[BARE] = env.start(
            "compare-bare",
            env.worker_argv("bench.bare_app", bare_queue, f"{env.PREFIX}bare@%h", quiet=True),
            {**env.site_environ(broker), "BENCH_BARE_BROKER": url, "BENCH_BARE_QUEUE": bare_queue},
        )
        from bench import floor_app

        floor_queue = f"{env.PREFIX}.floor"
        floor_app.create_table(env.DATABASE_URL)
        queues[FLOOR] = (floor_queue, "echo")
        workers[FLOOR] = env.start(
            "compare-floor",
            env.worker_argv("bench.floor_app", floor_queue, f"{env.PREFIX}floor@%h", quiet=True),
            floor_app.environ(env.site_environ(broker), url, floor_queue, env.DATABASE_URL),
        )
        channel = client.connection_for_write().default_channel

        def waiting(queue: str) -> int:  # messages ready in the queue
            if broker == "redis":  # a list; kombu's passive declare refuses a queue it has no binding of yet
                return channel.client.llen(queue)
            return channel.queue_declare(queue, passive=True).message_count

        for queue, task in queues.values():  # each up and consuming before any clock runs
            client.send_task(task, ["warm"], queue=queue)
        for name, (queue, _task) in queues.items():
            env.wait_for(lambda q=queue: waiting(q) == 0, 90, message=f"{name} to start", process=workers[name])

        def drain(name: str) -> None:
            queue, task = queues[name]
            worker = workers[name]
            TaskResult.objects.all().delete()
            TaskRecord.objects.all().delete()
            floor_app.clear(env.DATABASE_URL)
            worker.signal_all(signal.SIGSTOP)
            if name in (BARE, FLOOR):
                with client.producer_or_acquire() as producer:
                    for _ in range(tasks):
                        client.send_task(task, ["hello"], queue=queue, producer=producer)
            else:
                with env.site_app_on(broker):  # recorded, then sent, as the bulk API does
                    env.send_site_echoes(queue, tasks)
            main = psutil.Process(worker.pid)
            tree = [main, *main.children(recursive=True)]
            before, before_main = cpu_seconds(tree), cpu_seconds([main])
            started = time.perf_counter()
            worker.signal_all(signal.SIGCONT)
            if name == BARE:  # results ignored: done when its queue is empty
                done = lambda: waiting(queue) == 0  # noqa: E731
            elif name == FLOOR:  # a row per task, committed before its ack
                done = lambda: floor_app.done(env.DATABASE_URL) >= tasks  # noqa: E731
            else:
                done = lambda: TaskResult.objects.filter(status="SUCCESS").count() >= tasks  # noqa: E731
            env.wait_for(done, 600, message=f"{name} to drain", interval=0.02, process=worker)
            rate.add(name, tasks / (time.perf_counter() - started))
            cpu.add(name, 1000 * (cpu_seconds(tree) - before) / tasks)
            main_cpu.add(name, 1000 * (cpu_seconds([main]) - before_main) / tasks)

        say(f"[compare] {rounds} rounds of {tasks} tasks: {', '.join(queues)}")
        interleave({name: (lambda n=name: drain(n)) for name in queues}, rounds)
    finally:
        for worker in workers.values():
            worker.terminate()
        if broker == "rabbitmq":  # env.cleanup removes only the bench's own names there
            from contextlib import suppress

            from kombu import Connection

            with Connection(url, connect_timeout=3) as connection:
                names = [queue for queue, _task in queues.values()]
                names += [f"{env.PREFIX}c{n}.{kind}" for n in range(len(contenders)) for kind in ("high", "low")]
                for name in names:
                    with suppress(Exception):
                        connection.channel().queue_delete(name)
        client.close()
        for root in worktrees:
            subprocess.run(["git", "-C", str(env.ROOT), "worktree", "remove", "--force", root], check=False)
            shutil.rmtree(root, ignore_errors=True)
    for contender in contenders:
        report.ratio(f"{contender.name} / bare Celery", "drain throughput", contender.name, BARE)
        report.ratio(f"{contender.name} / floor", "drain throughput", contender.name, FLOOR)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("contenders", nargs="+", help="NAME=REVISION[,VARIABLE=VALUE...]; '.' is this working tree")
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--broker", choices=("redis", "rabbitmq"), default="redis")
    options = parser.parse_args(argv)
    try:
        contenders = [Contender.parse(text) for text in options.contenders]
    except ValueError as exc:
        parser.error(str(exc))
    for contender in contenders:
        known = subprocess.run(
            ["git", "-C", str(env.ROOT), "rev-parse", "--verify", "--quiet", f"{contender.revision}^{{commit}}"],
            capture_output=True,
        )
        if contender.revision != "." and known.returncode:
            parser.error(f"{contender.name}: git knows no revision {contender.revision!r} (try HEAD~1 or a commit id)")
    env.create_database()
    try:
        env.setup_django()
        report = run(contenders, options.tasks, options.rounds, options.broker)
        say(report.table())
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
