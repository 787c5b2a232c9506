"""Benchmark 3, beat at scale: the site's beat with 100, 1,000 and 10,000 enabled periodic tasks.

The rows are seeded with bulk_create: a fixed set of hot rows (intervals of 5 and 10 seconds, two
every-minute crontabs) that send during the measurement, and cold ones (hourly and daily crontabs,
intervals of hours and days, spread over the hour and the day) that make up the size, as a large
installation has; at 10,000 rows about sixty cold rows come due each minute. A real beat runs
(`celery -A helloworld beat --scheduler tasks_app.beat.scheduler:DatabaseScheduler`) against Redis.
Every send is recorded by the site's own `before_task_publish` hook (a TaskRecord with the periodic
task's name, stamped by beat just before it publishes). During the window, rows are edited the way
the site saves a schedule (the site's parser, `schedules.save_schedule`, `PeriodicTask.save()`, whose
signal tells beat): a cold row gets a one-off time two seconds ahead; the figure is edit to send.

Measured: edit to send (s); lateness of every send against its due time (an interval is due
its period after the previous send, since beat counts from the moment it sent; a crontab at the
top of its minute); beat's CPU seconds per minute (user + system, /proc via psutil); sends of one
due time more than once (must be none).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import psutil

from bench import env
from bench.harness import Report, say

HOT_INTERVALS = [5, 5, 5, 5, 5, 10, 10, 10]  # seconds
HOT_CRONTABS = 2  # every minute
SITE_SCHEDULER = "tasks_app.beat.scheduler:DatabaseScheduler"
REFERENCE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
REFERENCE = "django-celery-beat's own scheduler"
EDIT = "edit to send"
LATE = "max lateness of a send"
CPU = "beat CPU per minute"


def seed(rows: int, queue: str) -> dict:
    """Replace every periodic task with `rows` enabled ones. Returns each row's kind by name:
    ("interval", period, first due time) or ("crontab",) (all due at the top of a minute).

    Cold rows are spread over the hour and the day, as real schedules are: an hourly crontab at
    every minute of the hour, daily ones at many times, intervals last run at spread moments."""
    from django.db import connection
    from django.utils import timezone
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask, PeriodicTasks

    with connection.cursor() as cursor:  # not .delete(): that sends a signal per row (a minute at 10,000)
        cursor.execute(f"DELETE FROM {PeriodicTask._meta.db_table}")
    now = timezone.now()
    every = {
        seconds: IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")[0]
        for seconds in (5, 10, 3600, 6 * 3600, 86400)
    }
    crontabs: dict[tuple[str, str], CrontabSchedule] = {}

    def crontab(minute: str, hour: str) -> CrontabSchedule:
        if (minute, hour) not in crontabs:
            crontabs[minute, hour] = CrontabSchedule.objects.get_or_create(minute=minute, hour=hour, timezone="UTC")[0]
        return crontabs[minute, hour]

    common = {"task": "tasks_app.tasks.echo", "args": '["beat"]', "kwargs": "{}", "queue": queue, "enabled": True}
    objects, kinds = [], {}
    for i, seconds in enumerate(HOT_INTERVALS):
        name = f"hot-interval-{i}"
        # last_run_at now: due one period after seeding, as a row saved then would be.
        objects.append(PeriodicTask(name=name, interval=every[seconds], last_run_at=now, **common))
        kinds[name] = ("interval", seconds, now.timestamp() + seconds)
    for i in range(HOT_CRONTABS):
        objects.append(PeriodicTask(name=f"hot-crontab-{i}", crontab=crontab("*", "*"), **common))
        kinds[f"hot-crontab-{i}"] = ("crontab",)

    def interval(period: int, j: int) -> dict:
        last = now - timedelta(seconds=(j * 37) % period + 1)  # spread: first due within one period
        return {"interval": every[period], "last_run_at": last}

    cold_kinds = [
        lambda j: interval(3600, j),
        lambda j: interval(6 * 3600, j),
        lambda j: interval(86400, j),
        lambda j: {"crontab": crontab(str(j % 60), "*")},
        lambda j: {"crontab": crontab(str((j * 13) % 60), str(j % 24))},
        lambda j: {"crontab": crontab(str((j * 7) % 60), str((j * 5) % 24))},
    ]
    for i in range(rows - len(objects)):
        fields = cold_kinds[i % len(cold_kinds)](i // len(cold_kinds))
        task = PeriodicTask(name=f"cold-{i}", **fields, **common)
        objects.append(task)
        if "interval" in fields:
            period = fields["interval"].every
            kinds[task.name] = ("interval", period, fields["last_run_at"].timestamp() + period)
        else:
            kinds[task.name] = ("crontab",)
    PeriodicTask.objects.bulk_create(objects, batch_size=2000)
    PeriodicTasks.update_changed()  # bulk_create sends no signal: tell beat, as a save would
    return kinds


def edit_row(name: str, lead: float = 2.0) -> tuple[float, float]:
    """Give a cold row a one-off time `lead` seconds ahead, as the site saves a schedule.
    Returns (edit time, due time) as Unix times."""
    from django.db import transaction
    from django_celery_beat.models import PeriodicTask

    from tasks_app import schedules, services

    tz = services.site_time_zone()
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1 + lead)
    spec = services.parse_schedule(f"at {due.astimezone(tz):%Y-%m-%d %H:%M:%S}")
    with transaction.atomic():
        field, row = schedules.save_schedule(spec, tz=tz)
        task = PeriodicTask.objects.get(name=name)
        task.interval = task.crontab = task.solar = task.clocked = None
        setattr(task, field, row)
        task.one_off = True
        task.save()
    return time.time(), due.timestamp()


def sends_by_name(names=None) -> dict[str, list[float]]:
    from tasks_app.models import TaskRecord

    found: dict[str, list[float]] = {}
    records = TaskRecord.objects.exclude(periodic_task_name="")
    if names is not None:
        records = records.filter(periodic_task_name__in=names)
    for name, created in records.values_list("periodic_task_name", "created_at").order_by("created_at"):
        found.setdefault(name, []).append(created.timestamp())
    return found


def lateness(kinds: dict, sends: dict[str, list[float]], since: float) -> tuple[list[float], int]:
    """Each send's lateness against its due time, for every send in the window whose due time is
    known, and how many due times were sent twice. An interval is due one period after the
    previous send (beat counts from when it sent) or, first, one period after the seeded last run;
    a crontab at the top of its minute."""
    late, twice = [], 0
    for name, times in sends.items():
        kind = kinds.get(name)
        if kind is None:
            continue  # an edited row: judged on its own
        previous = None
        for current in times:
            if current >= since:
                if kind[0] == "crontab":
                    late.append(current - 60 * int(current // 60))
                    twice += previous is not None and int(current // 60) == int(previous // 60)
                elif previous is None:
                    late.append(current - kind[2])
                else:
                    late.append(current - (previous + kind[1]))
                    twice += current - previous < kind[1] / 2
            previous = current
    return late, twice


def measure(report: Report, rows: int, window: float, edits: int, queue: str, scheduler: str, label: str) -> None:
    from tasks_app.models import BeatHeartbeat, BeatLease, TaskRecord

    TaskRecord.objects.all().delete()
    BeatLease.objects.all().delete()
    BeatHeartbeat.objects.all().delete()
    begun = time.monotonic()
    kinds = seed(rows, queue)
    hot = [name for name in kinds if name.startswith("hot-")]
    seeded = time.monotonic() - begun
    beat = env.start(
        f"beat-{rows}-{scheduler.split(':')[0]}",
        [
            str(env.BIN / "celery"),
            "-A",
            "helloworld",
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            scheduler,
            "--pidfile=",
            "--schedule",
            str(env.DATA_DIR / f"beat-{rows}.db"),
        ],
        env.site_environ("redis"),
    )
    try:
        started = time.time()
        env.wait_for(lambda: sends_by_name(hot), 120, message=f"beat's first send at {label}", process=beat)
        first_send = time.time() - started
        time.sleep(1)
        process = psutil.Process(beat.pid)
        profiler = start_profile(beat.pid, window, label)
        cpu_before = sum(process.cpu_times()[:2])
        window_start = time.time()
        cold = [f"cold-{i}" for i in range(edits)]
        edited: dict[str, tuple[float, float]] = {}
        for i, name in enumerate(cold):
            time.sleep(max(0.0, window_start + (i + 1) * window / (edits + 1) - time.time()))
            edited[name] = edit_row(name)
        time.sleep(max(0.0, window_start + window - time.time()))
        cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
        elapsed = time.time() - window_start
        if profiler:
            report.note(f"profile of beat at {label}: {summarize_profile(*profiler)}")
        # Let the last edit's send land before judging it (it is due two seconds after the edit).
        env.wait_for(lambda: len(sends_by_name(cold)) == len(cold), 30, message="the edited rows' sends", process=beat)
        time.sleep(2)  # one more tick or two: a row sent twice would show now
    finally:
        beat.terminate()

    sends = sends_by_name()
    edited_names = set(edited)
    late, twice = lateness({n: k for n, k in kinds.items() if n not in edited_names}, sends, window_start)
    for name, (edit_at, due_at) in edited.items():
        times = sends.get(name, [])
        if times:
            report.metric(EDIT, "s", higher_is_better=False).add(label, times[0] - edit_at)
            late.append(times[0] - due_at)
        if len(times) > 1:
            twice += len(times) - 1
    hot_sends = sum(1 for name in hot for t in sends.get(name, []) if t >= window_start)
    cold_sends = sum(1 for name, times in sends.items() if name.startswith("cold-") for t in times if t >= window_start)
    report.metric(CPU, "CPU s/min", higher_is_better=False).add(label, 60 * cpu_seconds / elapsed)
    report.metric(LATE, "s", higher_is_better=False).add(label, max(late) if late else float("nan"))
    report.metric("sends counted twice", "sends", higher_is_better=False).add(label, twice)
    report.settings[f"{label}: seeded in (s)"] = round(seeded, 1)
    report.settings[f"{label}: beat start to first send (s)"] = round(first_send, 1)
    report.settings[f"{label}: sends in window (hot, cold)"] = (hot_sends, cold_sends)
    say(
        f"[beat] {label}: cpu {60 * cpu_seconds / elapsed:.2f} s/min, max late {max(late, default=0):.2f} s, "
        f"edits {[round(sends.get(n, [0])[0] - e, 2) for n, (e, _) in edited.items()]}, twice {twice}"
    )


def start_profile(pid: int, window: float, label: str):
    """With BENCH_PROFILE=1, py-spy samples beat through the window (it costs some CPU of its own,
    so profiled runs are for finding hot spots, not for the figures)."""
    if not os.environ.get("BENCH_PROFILE"):
        return None
    from bench.harness import RESULTS_DIR

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    slug = "".join(char if char.isalnum() else "-" for char in label)
    path = RESULTS_DIR / f"beat-profile-{slug}.txt"
    argv = [str(env.BIN / "py-spy"), "record", "--nonblocking", "-r", "50", "-f", "raw"]
    argv += ["-d", str(int(window)), "-o", str(path), "-p", str(pid)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path


def summarize_profile(spy, path) -> str:
    """The functions of beat, django-celery-beat and the site's scheduler with the most samples under them."""
    spy.wait(timeout=60)
    inclusive, total = Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            if any(part in frame for part in ("celery/beat.py", "django_celery_beat/", "tasks_app/")):
                inclusive[frame] += int(count)
    top = [f"{frame} {100 * n / total:.0f}%" for frame, n in inclusive.most_common(8) if n < total]
    return f"{total} samples ({path.name}); " + "; ".join(top)


def run(smoke: bool) -> list[Report]:
    sizes = [20, 200] if smoke else [int(n) for n in os.environ.get("BENCH_BEAT_ROWS", "100,1000,10000").split(",")]
    window = 8.0 if smoke else float(os.environ.get("BENCH_BEAT_WINDOW", "60"))
    edits = 1 if smoke else 3
    queue = f"{env.PREFIX}.low"
    report = Report(
        "beat",
        "3. Beat at scale: the site's scheduler (tasks_app.beat.scheduler) on redis and PostgreSQL",
        {
            "sizes": sizes,
            "window (s)": window,
            "edits per size": edits,
            "hot rows": f"{len(HOT_INTERVALS)} intervals (5 s, 10 s) + {HOT_CRONTABS} every-minute crontabs",
            "cold rows": "hourly/6-hourly/daily intervals, hourly and daily crontabs, spread over the hour and day",
        },
    )
    # django-celery-beat's own DatabaseScheduler at the largest size, for reference: what the
    # site's scheduler (which reads only what changed) saves.
    runs = [(rows, SITE_SCHEDULER, f"{rows:,} rows") for rows in sizes]
    runs.insert(-1, (sizes[-1], REFERENCE_SCHEDULER, f"{sizes[-1]:,} rows, {REFERENCE}"))
    with env.site_app_on("redis") as app:
        try:
            for rows, scheduler, label in runs:
                measure(report, rows, window, edits, queue, scheduler, label)
                env.purge_queues(app, env.site_queues())
        finally:
            env.purge_queues(app, env.site_queues())
    small, large = f"{sizes[0]:,} rows", f"{sizes[-1]:,} rows"
    cpu = report.metrics[CPU]
    report.ratios[f"CPU/min {large} / {small}"] = cpu.median(large) / cpu.median(small) if cpu.median(small) else None
    edit_large = report.metrics.get(EDIT)
    report.target(
        f"at {large} an edited row is sent on its new schedule within 5 s (worst edit)",
        max(edit_large.samples.get(large, [float("nan")])) if edit_large else None,
        5.0,
        at_most=True,
    )
    reference = f"{large}, {REFERENCE}"
    report.ratios[f"CPU/min at {large}: {REFERENCE} / site"] = (
        cpu.median(reference) / cpu.median(large) if cpu.median(large) else None
    )
    report.target(
        f"beat CPU per minute at {large} <= 10 x at {small}", report.ratios[f"CPU/min {large} / {small}"], 10.0, True
    )
    site_runs = [label for _, scheduler, label in runs if scheduler == SITE_SCHEDULER]
    worst = max(max(report.metrics[LATE].samples[label]) for label in site_runs)
    report.target("no task sent more than 1 s late at any size (worst of every send, hot and cold)", worst, 1.0, True)
    twice = sum(sum(report.metrics["sends counted twice"].samples[label]) for label in site_runs)
    report.target("never sent twice (sends of one due time beyond the first)", twice, 0, at_most=True)
    report.settings["queue"] = queue
    report.note(json.dumps({"hot rows": {"intervals (s)": HOT_INTERVALS, "minutely crontabs": HOT_CRONTABS}}))
    return [report]
