"""What `GET /metrics` tells Prometheus, read on each scrape from what the site already keeps.

A custom Collector rather than process-global counters: the web server runs several processes (and
the platform several dynos), each of which would count only what it saw, while the truth (the
result table, the task records, beat's heartbeats and lease, the broker snapshot) is in the
database and shared by all of them.

Cheap at any table size: task counts are over the last hour only (by date_done and created_at,
both indexed, with no per-row join), the same window the dashboard shows, so a scrape reads the
hour's rows and never the whole table; queues and workers come from
tasks_app.selectors.monitoring's shared snapshot (at most
MONITOR_REFRESH_SECONDS old, never a broadcast of a scrape's own). Because the counts are over a
sliding window they go down as well as up: they are gauges, not counters, so use them as they are, not
through rate(). The runtime histogram is typed a histogram, not a gauge histogram, so that it exports
the `_count` and `_sum` that dashboards and histogram_quantile() look for (a gauge histogram's are
`_gcount` and `_gsum`); it is windowed all the same: read it as it is, not through rate().
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django_celery_results.models import TaskResult
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from tasks_app import catalog
from tasks_app.models import TaskRecord
from tasks_app.selectors import dashboard, failures, monitoring
from tasks_app.states import FINISHED_STATES, QUEUED, STATES

WINDOW = timedelta(hours=1)  # the dashboard's "hour"
RUNTIME_WINDOW = timedelta(minutes=5)
RUNTIME_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 600)  # seconds; long_task may run ten minutes
PREFIX = "helloworld"


class SiteCollector(Collector):
    """Every metric of the site, gathered per scrape (see the module's docstring)."""

    def collect(self):
        # One clock, read after the snapshot (which a scrape may refresh) and beat's state: an age
        # measured from a clock read before them came out negative (-1.2 s after each refresh).
        snapshot = monitoring.current()
        beat = dashboard.beat_state()
        now = timezone.now()
        since = now - WINDOW
        yield tasks_by_state(since)
        yield tasks_sent(since)
        yield runtime_histogram(now - RUNTIME_WINDOW)
        yield retries(since)
        yield failures_by_cause(since)
        yield from broker_metrics(snapshot, now)
        yield from beat_metrics(beat, now)


def _gauge(name: str, documentation: str, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))


def _age(now, then) -> float:
    """Seconds from `then` to `now`, never below zero: beats on other hosts write their own clocks,
    which NTP keeps within a fraction of a second of ours but not always behind it."""
    return max(0.0, (now - then).total_seconds())


def _host(node: str) -> str:
    """A beat's node without its process id ("web.1:4242" -> "web.1"): a label that changed with
    every restart started a new series each time. The dyno name (or host) is what stays."""
    return node.rpartition(":")[0] or node


def _celery_name(short_name: str) -> str:
    """The task's registered name, as the result table has it ("echo" -> "tasks_app.tasks.echo")."""
    try:
        return catalog.get(short_name).task.name
    except Exception:  # a record of a task this version no longer offers keeps its own name
        return short_name


def tasks_by_state(since) -> GaugeMetricFamily:
    """The dashboard's hourly counts, by task: result rows by the time of their latest state change
    (date_done, indexed), plus the tasks sent in the hour that no worker has reported on yet (QUEUED)."""
    family = _gauge(
        "tasks_last_hour",
        "Tasks whose latest state change was in the last hour (QUEUED: sent, no worker report yet), "
        "by task and state; the dashboard's hourly counts",
        ("task", "state"),
    )
    rows = TaskResult.objects.filter(date_done__gte=since).values_list("task_name", "status").annotate(n=Count("id"))
    for task, state, number in rows:
        family.add_metric([task or "", state], number)
    # The record's state follows its result row (managers.ResultWriter), so QUEUED records are the ones
    # no worker has reported on; read through the (state, created_at) index, not one lookup a record.
    queued = (
        TaskRecord.objects.filter(state=QUEUED, created_at__gte=since).values_list("task_name").annotate(n=Count("id"))
    )
    for task, number in queued:
        family.add_metric([_celery_name(task), QUEUED], number)
    return family


def tasks_sent(since) -> GaugeMetricFamily:
    """Tasks sent in the last hour by task, queue and their state now, from the site's own records,
    which hold all three (created_at is indexed). The result table has no queue: splitting the
    dashboard's counts by queue cost a lookup per result row (4 ms per thousand tasks an hour)."""
    family = _gauge(
        "tasks_sent_last_hour",
        "Tasks the site sent in the last hour, by task, queue and current state",
        ("task", "queue", "state"),
    )
    rows = TaskRecord.objects.filter(created_at__gte=since).values_list("task_name", "queue", "state")
    for task, queue, state, number in rows.annotate(n=Count("id")):
        family.add_metric([_celery_name(task), queue, state], number)
    return family


def runtime_histogram(since) -> HistogramMetricFamily:
    """Run time (date_started to date_done) of the tasks finished in the last RUNTIME_WINDOW, by task:
    one query, each bucket a conditional count. A shorter window than the counts', as each row costs
    a subtraction and a comparison per bucket: five minutes of tasks describe run times well enough."""
    finished = ", ".join(state for state in STATES if state in FINISHED_STATES)
    family = HistogramMetricFamily(
        f"{PREFIX}_task_runtime_seconds",
        f"Run time of the tasks finished ({finished}) in the last five minutes, by task",
        labels=["task"],
    )
    runtime = ExpressionWrapper(F("date_done") - F("date_started"), output_field=DurationField())
    buckets = {
        f"le_{i}": Count("id", filter=Q(runtime__lte=timedelta(seconds=b))) for i, b in enumerate(RUNTIME_BUCKETS)
    }
    rows = (
        TaskResult.objects.filter(date_done__gte=since, status__in=FINISHED_STATES, date_started__isnull=False)
        .annotate(runtime=runtime)
        .values("task_name")
        .annotate(total=Count("id"), seconds=Sum("runtime"), **buckets)
    )
    for row in rows:
        counts = [(str(bound), row[f"le_{i}"]) for i, bound in enumerate(RUNTIME_BUCKETS)]
        seconds = row["seconds"].total_seconds() if row["seconds"] else 0.0
        family.add_metric([row["task_name"] or ""], [*counts, ("+Inf", row["total"])], seconds)
    return family


def retries(since) -> GaugeMetricFamily:
    """Retries asked of the site (a retried task is a new record pointing at the one it retries);
    Celery's own retries are the RETRY state, and revocations the REVOKED state, of tasks_last_hour."""
    family = _gauge("task_retries_last_hour", "Tasks sent in the last hour as a retry of another task (site retries)")
    family.add_metric([], TaskRecord.objects.filter(created_at__gte=since, retry_of__isnull=False).count())
    return family


def failures_by_cause(since) -> GaugeMetricFamily:
    """The failures page's groups over the last hour, by task and exception class only: the normalised
    message would be a label of unbounded values (a series per cause), so it stays on the page."""
    family = _gauge(
        "task_failures_last_hour",
        "Tasks that failed (FAILURE) in the last hour, by task and exception class; /failures/ groups them by message",
        ("task", "exception"),
    )
    for (task, exception), number in sorted(failures.counts_by_cause(since).items()):
        family.add_metric([task, exception], number)
    return family


def broker_metrics(snapshot: monitoring.Snapshot, now):
    up = _gauge("broker_up", "1 when the broker answered the last check, 0 otherwise")
    up.add_metric([], 1 if snapshot.broker_ok else 0)
    yield up
    age = _gauge("monitor_snapshot_age_seconds", "How old the broker and worker figures below are")
    if snapshot.known:
        age.add_metric([], _age(now, snapshot.taken_at))
    yield age
    waiting = _gauge(
        "queue_waiting_tasks", "Tasks waiting in each queue (absent when the broker cannot be asked)", ["queue"]
    )
    oldest = _gauge(
        "queue_oldest_task_age_seconds",
        "How long the oldest waiting task has waited (absent when the queue is empty or the broker cannot tell)",
        ["queue"],
    )
    consumers = _gauge("queue_consumers", "Consumers of each queue (RabbitMQ only)", ["queue"])
    for queue in snapshot.queues:
        if queue.depth is not None:
            waiting.add_metric([queue.broker_name], queue.depth)
        if queue.oldest_age_seconds is not None:
            oldest.add_metric([queue.broker_name], queue.oldest_age_seconds)
        if queue.consumers is not None:
            consumers.add_metric([queue.broker_name], queue.consumers)
    yield from (waiting, oldest, consumers)
    alive = _gauge("workers_alive", "Workers that answered the last inspect broadcast")
    alive.add_metric([], sum(1 for worker in snapshot.workers if worker.alive))
    yield alive
    running = _gauge("worker_running_tasks", "Tasks each live worker is running", ["worker"])
    for worker in snapshot.workers:
        if worker.alive:
            running.add_metric([worker.name], worker.running)
    yield running


def beat_metrics(state: dashboard.Beat, now):
    alive = _gauge("beat_up", "1 when a beat ticked within the last 15 s")
    alive.add_metric([], 1 if state.alive else 0)
    yield alive
    since_tick = _gauge("beat_seconds_since_tick", "Seconds since any beat last ticked (absent: none in a day)")
    if state.last_tick is not None:
        since_tick.add_metric([], _age(now, state.last_tick))
    yield since_tick
    leader = _gauge("beat_leader", "1 for the beat that holds the lease and sends the periodic tasks", ["node"])
    if state.leader:
        leader.add_metric([_host(state.leader)], 1)
    yield leader
    sends = [beat for beat in state.beats if beat.last_send_at is not None]
    latest = max(sends, key=lambda beat: beat.last_send_at, default=None)
    lateness = _gauge(
        "beat_last_send_lateness_seconds",
        "How long past its due time beat sent its latest periodic task (0: on time), by beat",
        ["node"],
    )
    since_send = _gauge("beat_seconds_since_last_send", "Seconds since beat last sent a periodic task", ["node"])
    if latest is not None:
        lateness.add_metric([_host(latest.node)], latest.last_send_lateness or 0.0)
        since_send.add_metric([_host(latest.node)], _age(now, latest.last_send_at))
    yield from (lateness, since_send)
    stale = _gauge("beat_schedule_stale", "1 when the leader has not loaded the latest periodic task change yet")
    if state.seen_latest_change is not None:
        stale.add_metric([], 0 if state.seen_latest_change else 1)
    yield stale
