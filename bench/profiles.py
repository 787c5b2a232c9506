"""Profiles of the hot paths whose targets make bench misses: `python -m bench.profiles`.

- (b) and (c) of the enqueue benchmark on Redis: `apply_async` and `services.enqueue`, each sending
  a few thousand `echo` tasks under pyinstrument in this process;
- what bounds (c) against (b): the record's INSERT alone, `apply_async` alone, and the two in turn,
  unprofiled, each the median of five runs (round-trips.txt);
- the end-to-end worker: py-spy samples every process of a site worker (concurrency 2) while it
  drains a queue of `echo` tasks, and the share of samples per function is printed.

Profiles go to bench/results/profile-*.txt (pyinstrument's text), and the workers' to
bench/worker-profiles/worker-site.txt and worker-floor.txt (py-spy: the site's worker beside the
floor of its guarantee; `python -m bench.profiles worker` makes only these two).
A profiler slows what it watches: read the shares, not the rates.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time

from bench import env
from bench.harness import RESULTS_DIR, say

# The workers' profiles are kept in git (bench/worker-profiles/), beside the code they describe.
PROFILES_DIR = env.ROOT / "bench" / "worker-profiles"
TASKS = int(os.environ.get("BENCH_PROFILE_TASKS", "3000"))


def profile_enqueue() -> None:
    from pyinstrument import Profiler

    from tasks_app import services
    from tasks_app.tasks import echo

    with env.site_app_on("redis") as app:
        queue = f"{env.PREFIX}.default"
        contenders = {
            "apply_async": lambda: echo.apply_async(["hello"], queue=queue),
            "services-enqueue": lambda: services.enqueue("echo", ["hello"], {}, "default"),
        }
        for name, send in contenders.items():
            for _ in range(200):  # connections open, code warm
                send()
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(TASKS):
                    send()
            path = RESULTS_DIR / f"profile-{name}.txt"
            path.write_text(profiler.output_text(show_all=False, short_mode=False))
            say(f"[profile] {name}: {path.relative_to(env.ROOT)}")
            env.purge_queues(app, env.site_queues())


def shares(lines: list[str], top: int = 60) -> str:
    """py-spy's collapsed stacks as the share of samples in which each function appears."""
    counts, total = collections.Counter(), 0
    for line in lines:
        stack, _, samples = line.rpartition(" ")
        total += int(samples)
        for function in {frame.split(" (")[0] for frame in stack.split(";")[1:]}:
            counts[function] += int(samples)
    # Frames in nearly every sample are the processes' start-up chain (click, bootsteps): left out.
    shown = [(function, count) for function, count in counts.most_common() if count / total < 0.9][:top]
    return "\n".join(f"{count / total:6.1%}  {function}" for function, count in shown)


def shares_by_process(raw_path) -> str:
    """`shares` for each process apart, busiest first: the worker's main process (consumer, acks,
    dispatch) and its pool children bound it differently. py-spy names a stack's process in a
    frame of its own, a child's after its parent's."""
    by_process = collections.defaultdict(list)
    for line in raw_path.read_text().splitlines():
        frames = line.rpartition(" ")[0].split(";")
        by_process[[frame for frame in frames if frame.startswith("process ")][-1].split(":")[0]].append(line)
    total = sum(int(line.rpartition(" ")[2]) for lines in by_process.values() for line in lines)
    sections = []
    for process, lines in sorted(by_process.items(), key=lambda item: -sum(int(x.rpartition(" ")[2]) for x in item[1])):
        samples = sum(int(line.rpartition(" ")[2]) for line in lines)
        sections.append(f"## {process} ({samples / total:.0%} of all samples)\n\n{shares(lines)}")
    return "\n\n".join(sections)


def profile_worker(kind: str = "site", broker: str = "redis") -> None:
    """py-spy on every process of a worker draining TASKS echo tasks: the site's worker (its tasks
    sent as the bulk API sends them) or the floor of its guarantee (bench/floor_app.py)."""
    from celery import Celery
    from django_celery_results.models import TaskResult

    from bench import floor_app

    queue = f"{env.PREFIX}.default" if kind == "site" else f"{env.PREFIX}.floor"
    floor_app.create_table(env.DATABASE_URL)
    if kind == "site":
        argv = env.worker_argv("helloworld", queue)
        environ = env.site_environ(broker)
        done = lambda: TaskResult.objects.filter(status="SUCCESS").count()  # noqa: E731
    else:
        argv = env.worker_argv("bench.floor_app", queue, f"{env.PREFIX}floor@%h", quiet=True)
        environ = floor_app.environ(env.site_environ(broker), env.BROKER_URLS[broker], queue, env.DATABASE_URL)
        done = lambda: floor_app.done(env.DATABASE_URL)  # noqa: E731
    worker = env.start(f"worker-profiled-{kind}", argv, environ)
    suffix = kind if broker == "redis" else f"{kind}-{broker}"
    raw = RESULTS_DIR / f"profile-worker-{suffix}.raw"
    client = Celery("profile-client", broker=env.BROKER_URLS[broker])
    try:
        with env.site_app_on(broker) as app:
            env.purge_queues(app, env.site_queues())
            client.send_task("tasks_app.tasks.echo" if kind == "site" else "echo", ["warm"], queue=queue)
            env.wait_for(lambda: done() >= 1, 90, message="the worker", process=worker)
            TaskResult.objects.all().delete()
            floor_app.clear(env.DATABASE_URL)
            worker.signal_all(signal.SIGSTOP)
            if kind == "site":
                env.send_site_echoes(queue, TASKS)
            else:
                with client.producer_or_acquire() as producer:
                    for _ in range(TASKS):
                        client.send_task("echo", ["hello"], queue=queue, producer=producer)
            record = ["record", "--pid", str(worker.pid), "--subprocesses", "--nonblocking", "--rate", "200"]
            spy = subprocess.Popen(
                [str(env.BIN / "py-spy"), *record, "--format", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)  # py-spy attached before the clock starts
            worker.signal_all(signal.SIGCONT)
            env.wait_for(lambda: done() >= TASKS, 600, message="the drain", process=worker)
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
    finally:
        worker.terminate()
        client.close()
    PROFILES_DIR.mkdir(exist_ok=True)
    path = PROFILES_DIR / f"worker-{suffix}.txt"
    title = "the site's worker" if kind == "site" else "the floor (bench/floor_app.py)"
    path.write_text(
        f"Share of py-spy samples in which each function appears, per process of {title}\n\n"
        + shares_by_process(raw)
        + "\n"
    )
    raw.unlink()
    say(f"[profile] worker ({kind}): {path.relative_to(env.ROOT)}")


def time_round_trips() -> None:
    """ms per call of the record's INSERT, of `apply_async`, of both in turn, and of services.enqueue."""
    import statistics

    from celery import uuid

    from tasks_app import services
    from tasks_app.models import TaskRecord
    from tasks_app.tasks import echo

    def record():
        TaskRecord.objects.create(task_id=uuid(), task_name="echo", args=["hello"], queue="default")

    with env.site_app_on("redis") as app:
        queue = f"{env.PREFIX}.default"

        def publish():
            echo.apply_async(["hello"], queue=queue)

        calls = {
            "the record's INSERT (autocommit)": record,
            "apply_async (Redis)": publish,
            "the two in turn": lambda: (record(), publish()),
            "services.enqueue": lambda: services.enqueue("echo", ["hello"], {}, "default"),
        }
        lines = []
        for name, call in calls.items():
            for _ in range(200):
                call()
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(1000):
                    call()
                runs.append(time.perf_counter() - started)  # seconds for 1,000 calls: ms per call
            lines.append(f"{statistics.median(runs):7.3f} ms  {name}")
        env.purge_queues(app, env.site_queues())
    path = RESULTS_DIR / "round-trips.txt"
    path.write_text("ms per call, median of 5 runs of 1,000 calls, unprofiled\n\n" + "\n".join(lines) + "\n")
    say(f"[profile] round trips: {path.relative_to(env.ROOT)}\n" + "\n".join(lines))


def main() -> int:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    env.create_database()
    try:
        env.setup_django()
        if "worker" not in sys.argv[1:]:  # `python -m bench.profiles worker`: the workers' profiles only
            profile_enqueue()
            time_round_trips()
        broker = "rabbitmq" if "rabbitmq" in sys.argv[1:] else "redis"  # `... worker rabbitmq`
        profile_worker("site", broker)
        profile_worker("floor", broker)
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
