"""How each task type behaves: runs in the last hour and day, success rate, runtime p50 and p95, time
waiting in the queue, and the slowest recent runs. One data function (`collect`) behind the dashboard's
section, `GET /api/stats/` and `manage.py task_stats`. Staff only (access.is_open): the figures cover
every user's tasks, and the slowest runs name them.

Bounded at any table size: every query reads only the last day's result rows, by index. The counts are
one grouped query over the day's finished rows (date_done's index). The percentiles and the slowest runs
are over a sample per type, the newest SAMPLE_PER_TYPE finished runs of the day, read by the index on
(task_name, date_done) (migration 0017): exact for a type that runs fewer times a day, the recent runs'
otherwise. PostgreSQL computes the percentiles itself (percentile_cont over the sample); SQLite has no
percentile function, so the same capped sample is read and interpolated the same way in Python.

A run's runtime is date_done - date_started of its result row (the worker's start time, which
worker.started keeps even for a STARTED never written); its wait, date_started - the record's created_at
(when the site sent it). Tasks the site did not send (beat's) have no record: they count, but not in the wait.

The answer is cached for settings.DASHBOARD_FIGURES_CACHE_SECONDS (5 s), as the dashboard's counts are:
each open dashboard asks again every few seconds, and staff all see the same figures, so one computation
serves them all.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from celery import states
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app.lib.formats import duration_text, iso
from tasks_app.models import TaskRecord

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
OUTCOMES = (states.SUCCESS, states.FAILURE)  # a run: a task that finished by itself, well or not
SAMPLE_PER_TYPE = 1000  # the newest runs of the day per type that the percentiles and the slowest read
MOST_TYPES = 50  # the busiest types of the day shown; the registered tasks are far fewer
SLOWEST = 5
CACHE_KEY = "tasks_app.task_stats"


@dataclass(frozen=True)
class Run:
    task_id: str
    status: str
    runtime: float  # seconds
    finished_at: datetime

    @property
    def url(self) -> str:
        return reverse("task-status", args=[self.task_id])

    @property
    def runtime_text(self) -> str:
        return seconds_text(self.runtime)

    def as_json(self) -> dict:
        return {**asdict(self), "finished_at": iso(self.finished_at), "url": self.url}


@dataclass(frozen=True)
class TypeStats:
    name: str
    runs: dict  # window -> {"runs", "succeeded", "failed"}
    sampled: int  # the runs the percentiles read (at most SAMPLE_PER_TYPE, the day's newest)
    runtime_p50: float | None  # seconds; None without a run that recorded its start
    runtime_p95: float | None
    wait_p50: float | None  # seconds from sent to started; None without a run the site sent
    slowest: list = field(default_factory=list)  # Run

    def success_rate(self, window: str) -> float | None:
        counted = self.runs[window]
        return round(counted["succeeded"] / counted["runs"], 4) if counted["runs"] else None

    @property
    def day_rate_percent(self) -> str:
        rate = self.success_rate("day")
        return "—" if rate is None else f"{100 * rate:.1f}%"

    @property
    def texts(self) -> dict:
        """The percentiles as a person reads them (the template's)."""
        return {
            "p50": seconds_text(self.runtime_p50),
            "p95": seconds_text(self.runtime_p95),
            "wait": seconds_text(self.wait_p50),
        }

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "windows": {
                window: {**counted, "success_rate": self.success_rate(window)} for window, counted in self.runs.items()
            },
            "sampled": self.sampled,
            "runtime_p50": self.runtime_p50,
            "runtime_p95": self.runtime_p95,
            "wait_p50": self.wait_p50,
            "slowest": [run.as_json() for run in self.slowest],
        }


@dataclass(frozen=True)
class TaskStats:
    generated_at: datetime
    types: list  # TypeStats, the day's busiest first
    cache_seconds: float
    sample_per_type: int = SAMPLE_PER_TYPE

    def as_json(self) -> dict:
        return {
            "generated_at": iso(self.generated_at),
            "cache_seconds": self.cache_seconds,
            "sample_per_type": self.sample_per_type,
            "percentiles_in": "database" if connection.vendor == "postgresql" else "python",
            "task_types": [found.as_json() for found in self.types],
        }


def collect() -> TaskStats:
    """The stats as of now, or as of at most DASHBOARD_FIGURES_CACHE_SECONDS ago (see the module's docstring)."""
    seconds = settings.DASHBOARD_FIGURES_CACHE_SECONDS
    if seconds > 0 and (found := cache.get(CACHE_KEY)) is not None:
        return found
    found = compute(timezone.now(), seconds)
    if seconds > 0:
        cache.set(CACHE_KEY, found, seconds)
    return found


def compute(now: datetime, cache_seconds: float = 0) -> TaskStats:
    counted = run_counts(now)
    since = now - WINDOWS["day"]
    types = []
    for name, runs in counted.items():
        sample = day_sample(name, since)
        rows = list(sample.values_list("task_id", "status", "date_started", "date_done"))
        if connection.vendor == "postgresql":
            sampled, p50, p95, wait = percentiles_in_database(sample)
        else:
            sampled, p50, p95, wait = percentiles_in_python(rows)
        types.append(TypeStats(name, runs, sampled, p50, p95, wait, slowest(rows)))
    return TaskStats(now, types, cache_seconds)


def run_counts(now: datetime) -> dict[str, dict]:
    """Finished runs per type in each window, the busiest of the day first: one grouped query over
    the day's rows (by date_done's index)."""
    hour = Q(date_done__gte=now - WINDOWS["hour"])
    rows = (
        TaskResult.objects.filter(date_done__gte=now - WINDOWS["day"], status__in=OUTCOMES)
        .exclude(task_name=None)
        .values_list("task_name")
        .annotate(
            day=Count("id"),
            day_ok=Count("id", filter=Q(status=states.SUCCESS)),
            hour=Count("id", filter=hour),
            hour_ok=Count("id", filter=hour & Q(status=states.SUCCESS)),
        )
        .order_by("-day", "task_name")[:MOST_TYPES]
    )
    return {
        name: {
            "hour": {"runs": hour, "succeeded": hour_ok, "failed": hour - hour_ok},
            "day": {"runs": day, "succeeded": day_ok, "failed": day - day_ok},
        }
        for name, day, day_ok, hour, hour_ok in rows
    }


def day_sample(name: str, since: datetime):
    """The newest SAMPLE_PER_TYPE finished runs of `name` since `since` that recorded their start:
    a range of the (task_name, date_done) index, read backwards."""
    return (
        TaskResult.objects.filter(task_name=name, date_done__gte=since, status__in=OUTCOMES)
        .exclude(date_started=None)
        .order_by("-date_done")[:SAMPLE_PER_TYPE]
    )


def percentiles_in_database(sample) -> tuple[int, float | None, float | None, float | None]:
    """PostgreSQL: the sample's size, runtime p50 and p95, and wait p50, in one statement. Each run's
    record is a scalar subquery by its task id: one index probe per run of the sample (PostgreSQL turns
    a join, even a LATERAL one, into a hash join that reads the whole records table)."""
    inner, params = sample.values("task_id", "date_started", "date_done").query.sql_with_params()
    quote = connection.ops.quote_name
    record, created_at, task_id = quote(TaskRecord._meta.db_table), quote("created_at"), quote("task_id")
    runtime = "EXTRACT(EPOCH FROM date_done - date_started)::float8"
    wait = "GREATEST(0, EXTRACT(EPOCH FROM date_started - sent_at))::float8"  # the clocks of two hosts
    statement = (
        f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY {runtime}), "  # noqa: S608 (names, not values)
        f"percentile_cont(0.95) WITHIN GROUP (ORDER BY {runtime}), "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {wait}) FILTER (WHERE sent_at IS NOT NULL) "
        # OFFSET 0 keeps the subquery apart: one probe a run, not one for each use of sent_at.
        f"FROM (SELECT s.date_started, s.date_done, "
        f"(SELECT {created_at} FROM {record} WHERE {record}.{task_id} = s.task_id) AS sent_at "
        f"FROM ({inner}) s OFFSET 0) runs"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        sampled, p50, p95, wait_p50 = cursor.fetchone()
    return sampled, _seconds(p50), _seconds(p95), _seconds(wait_p50)


def percentiles_in_python(rows: list) -> tuple[int, float | None, float | None, float | None]:
    """SQLite (no percentile function): the same capped sample's rows (task_id, status, date_started,
    date_done), interpolated as percentile_cont does."""
    sent = dict(TaskRecord.objects.filter(task_id__in=[row[0] for row in rows]).values_list("task_id", "created_at"))
    runtimes = sorted((done - started).total_seconds() for _, _, started, done in rows)
    waits = sorted(
        max(0.0, (started - sent[task_id]).total_seconds()) for task_id, _, started, _ in rows if task_id in sent
    )
    return (
        len(rows),
        _seconds(percentile(runtimes, 0.5)),
        _seconds(percentile(runtimes, 0.95)),
        _seconds(percentile(waits, 0.5)),
    )


def percentile(ordered: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def slowest(rows: list) -> list[Run]:
    """The SLOWEST longest of the sample's rows (task_id, status, date_started, date_done), longest first."""
    runs = [
        Run(task_id, status, round((done - started).total_seconds(), 3), done)
        for task_id, status, started, done in rows
    ]
    return sorted(runs, key=lambda run: (run.runtime, run.finished_at), reverse=True)[:SLOWEST]


def _seconds(value) -> float | None:
    return None if value is None else round(float(value), 3)


def seconds_text(value: float | None) -> str:
    """A runtime as a person reads it (12 ms, 1.25 s, 3 min 5 s), or a dash for none."""
    return "—" if value is None else duration_text(value)
