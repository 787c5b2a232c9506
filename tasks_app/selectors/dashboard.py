"""What the dashboard shows, gathered in one place for the page and for `GET /api/dashboard/`.

Queues and workers come from tasks_app.selectors.monitoring's snapshot (the broker and remote control asked at
most once per MONITOR_REFRESH_SECONDS, however many dashboards are open), beat from its heartbeats and
lease in the database, counts and the chart from the result table (django-celery-results) and the
site's own task records, with a few aggregate queries, at most once per DASHBOARD_FIGURES_CACHE_SECONDS
(`figures`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.utils import timezone
from django_celery_beat.models import PeriodicTasks
from django_celery_results.models import TaskResult

from tasks_app import access
from tasks_app.beat import heartbeat, lease
from tasks_app.broker import queues
from tasks_app.lib.formats import iso
from tasks_app.models import BeatHeartbeat, TaskRecord
from tasks_app.selectors import monitoring
from tasks_app.services import lost
from tasks_app.states import QUEUED, STATES

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
CHART_MINUTES = 60  # the chart: the last hour, one bar a minute
CHART_WIDTH, CHART_HEIGHT = 600, 120
FIGURES_CACHE_KEY = "tasks_app.dashboard.figures"


# What other users see in place of the broker's own error, which names its host and port.
BROKER_ERROR_HIDDEN = "the broker did not answer (staff see its own error)"


@dataclass(frozen=True)
class SeenBeat:
    node: str  # host:pid (for staff), or "beat 1" (for other users)
    last_tick: datetime
    is_leader: bool
    schedule_seen_at: datetime | None
    last_send_at: datetime | None = None  # the latest periodic task it sent (/metrics reads these two)
    last_send_lateness: float | None = None


@dataclass(frozen=True)
class Beat:
    alive: bool
    last_tick: datetime | None
    leader: str | None
    beats: list  # SeenBeat: the beats of the last day, newest first
    latest_change: datetime | None  # the last time a periodic task was saved
    seen_latest_change: bool | None  # None when no beat leads

    def as_json(self) -> dict:
        return {
            "alive": self.alive,
            "last_tick": iso(self.last_tick),
            "leader": self.leader,
            "latest_schedule_change": iso(self.latest_change),
            "seen_latest_schedule_change": self.seen_latest_change,
            "beats": [
                {"node": beat.node, "last_tick": iso(beat.last_tick), "is_leader": beat.is_leader}
                for beat in self.beats
            ],
        }


@dataclass(frozen=True)
class Bar:
    start: datetime
    succeeded: int
    failed: int
    # Geometry for the server-drawn SVG (the template only places the rectangles).
    x: float = 0
    width: float = 0
    succeeded_y: float = 0
    succeeded_height: float = 0
    failed_y: float = 0
    failed_height: float = 0


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    broker_kind: str
    broker_error: str | None  # None when the broker answered the last check
    checked_at: datetime | None  # when the broker and workers were last asked
    queues: list
    age_known: bool
    workers: list
    beat: Beat
    counts: dict  # window -> {state: count}
    bars: list
    peak: int  # the chart's scale: the busiest minute's tasks
    # Records QUEUED in a queue the broker says is empty (services.lost): dropped outside the site?
    possibly_lost: lost.Suspects | None = None

    def as_json(self) -> dict:
        return {
            "generated_at": iso(self.generated_at),
            "broker": self.broker_kind,
            "broker_error": self.broker_error,
            "checked_at": iso(self.checked_at),
            "queues": [queue.as_json() for queue in self.queues],
            "oldest_age_known": self.age_known,
            "workers": [worker.as_json() for worker in self.workers],
            "beat": self.beat.as_json(),
            "counts": self.counts,
            "chart": {
                "bucket_seconds": 60,
                "buckets": [
                    {"start": iso(bar.start), "succeeded": bar.succeeded, "failed": bar.failed} for bar in self.bars
                ],
            },
        }


def beat_state() -> Beat:
    live = heartbeat.live_beat()
    holder = lease.leader()
    rows = BeatHeartbeat.objects.filter(last_tick__gte=timezone.now() - timedelta(days=1)).order_by("-last_tick")
    beats = [
        SeenBeat(row.node, row.last_tick, row.is_leader, row.schedule_seen_at, row.last_send_at, row.last_send_lateness)
        for row in rows
    ]
    latest_change = PeriodicTasks.last_change()
    seen = None
    leading = next((beat for beat in beats if holder and beat.node == holder.holder), None)
    if leading is not None:
        seen = latest_change is None or (
            leading.schedule_seen_at is not None and leading.schedule_seen_at >= latest_change
        )
    return Beat(
        alive=live is not None,
        last_tick=live.last_tick if live else (beats[0].last_tick if beats else None),
        leader=holder.holder if holder else None,
        beats=beats,
        latest_change=latest_change,
        seen_latest_change=seen,
    )


def counts(now: datetime) -> dict[str, dict[str, int]]:
    """Tasks by state in each window: a result row counts by the time of its latest state change
    (django-celery-results' date_done moves with each state); a task no worker has reported on
    yet counts as QUEUED by when it was sent: its record's mirrored state is QUEUED until a worker reports
    (as services.lost reads it), one range of the (state, created_at) index, where a search for records
    without a result row probed the result table for each of the window's records (most of a second
    at a million rows)."""
    found = {}
    for window, length in WINDOWS.items():
        since = now - length
        by_state = dict.fromkeys(STATES, 0)
        rows = TaskResult.objects.filter(date_done__gte=since).values_list("status").annotate(n=Count("id"))
        for state, number in rows:
            by_state[state] = by_state.get(state, 0) + number
        by_state[QUEUED] = TaskRecord.objects.filter(state=QUEUED, created_at__gte=since).count()
        found[window] = by_state
    return found


def chart(now: datetime) -> tuple[list[Bar], int]:
    """Tasks finished per minute over the last hour: succeeded, and failed, one query."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=CHART_MINUTES)
    rows = (
        TaskResult.objects.filter(date_done__gte=start, status__in=("SUCCESS", "FAILURE"))
        .annotate(minute=TruncMinute("date_done", tzinfo=UTC))
        .values_list("minute", "status")
        .annotate(n=Count("id"))
    )
    per_minute: dict[tuple[datetime, str], int] = {}
    for minute, state, number in rows:
        per_minute[(minute.astimezone(UTC), state)] = number
    minutes = [start + timedelta(minutes=index) for index in range(CHART_MINUTES)]
    peak = max([per_minute.get((m, "SUCCESS"), 0) + per_minute.get((m, "FAILURE"), 0) for m in minutes] + [0])
    scale = CHART_HEIGHT / peak if peak else 0
    width = CHART_WIDTH / CHART_MINUTES
    bars = []
    for index, minute in enumerate(minutes):
        succeeded, failed = per_minute.get((minute, "SUCCESS"), 0), per_minute.get((minute, "FAILURE"), 0)
        succeeded_height, failed_height = succeeded * scale, failed * scale
        bars.append(
            Bar(
                start=minute,
                succeeded=succeeded,
                failed=failed,
                x=round(index * width, 2),
                width=round(width - 1, 2),
                succeeded_y=round(CHART_HEIGHT - succeeded_height, 2),
                succeeded_height=round(succeeded_height, 2),
                failed_y=round(CHART_HEIGHT - succeeded_height - failed_height, 2),
                failed_height=round(failed_height, 2),
            )
        )
    return bars, peak


def figures(now: datetime) -> tuple[dict, tuple[list[Bar], int]]:
    """The counts and the chart, the same for every viewer: computed at most once per
    DASHBOARD_FIGURES_CACHE_SECONDS per process, since every open dashboard asks again every few seconds
    and the day's counts read every row of the day."""
    seconds = settings.DASHBOARD_FIGURES_CACHE_SECONDS
    found = cache.get(FIGURES_CACHE_KEY) if seconds > 0 else None
    if found is None:
        found = (counts(now), chart(now))
        if seconds > 0:
            cache.set(FIGURES_CACHE_KEY, found, seconds)
    return found


def collect(viewer) -> Dashboard:
    """The dashboard as `viewer` (a user) may see it: see `without_machine_names`."""
    # The clock is read after the snapshot (which this request may refresh) and beat's state, so that
    # "As of" is never earlier than the check, a worker's last answer or a beat's tick it shows.
    snapshot = monitoring.current()
    beat = beat_state()
    now = timezone.now()
    kind = queues.broker_kind()
    by_state, (bars, peak) = figures(now)
    found = Dashboard(
        generated_at=now,
        broker_kind=kind,
        broker_error=snapshot.broker_error,
        checked_at=snapshot.taken_at,
        queues=snapshot.queues,
        age_known=queues.age_known(kind),
        workers=snapshot.workers,
        beat=beat,
        counts=by_state,
        bars=bars,
        peak=peak,
        possibly_lost=lost.suspects(snapshot.queues, snapshot.taken_at),
    )
    return found if access.is_open(viewer) else without_machine_names(found)


def without_machine_names(found: Dashboard) -> Dashboard:
    """The same state for a user who is not staff, without what names the machines behind the site:
    workers' node names and beats' host:pid become "worker 1", "beat 1"..., and the broker's errors
    (which carry its host and port) a sentence of their own."""
    labels = {beat.node: f"beat {number}" for number, beat in enumerate(found.beat.beats, 1)}
    beat = replace(
        found.beat,
        leader=labels.get(found.beat.leader, "a beat") if found.beat.leader else None,
        beats=[replace(seen, node=labels[seen.node]) for seen in found.beat.beats],
    )
    return replace(
        found,
        broker_error=BROKER_ERROR_HIDDEN if found.broker_error else None,
        queues=[replace(queue, error=BROKER_ERROR_HIDDEN if queue.error else "") for queue in found.queues],
        workers=[replace(worker, name=f"worker {number}") for number, worker in enumerate(found.workers, 1)],
        beat=beat,
    )
