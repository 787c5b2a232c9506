"""The broker's and the workers' state, asked for at most once per MONITOR_REFRESH_SECONDS for the whole site.

Health and the dashboard both read this snapshot: is the broker reachable, how deep are the queues,
which workers answered the inspect broadcast. Asking costs a broker connection and a broadcast that
waits a second for answers; asked per request, twenty health pollers or ten open dashboards filled
every web thread. Now the first request that finds the snapshot older than the interval claims the
refresh and asks; every other request, in any process, answers at once from the last snapshot.

Why a row in the database rather than Django's cache: the snapshot must be shared by every web
process and every web dyno (a per-process cache multiplies the broadcasts by the processes, a file by
the dynos); the database is already shared (SQLite locally, PostgreSQL on the platform) and needs no
cache table or new service; and one conditional UPDATE claims the refresh atomically on both, which
Django's file cache cannot (its `add` is a check, then a write).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tasks_app.broker import control, queues, workers
from tasks_app.lib.formats import iso
from tasks_app.models import MonitorSnapshot

logger = logging.getLogger(__name__)

NAME = "broker"
# A refresh that died mid-way (its process killed) holds the claim this long; then another takes over.
CLAIM_FOR = timedelta(seconds=30)


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime | None  # None: no refresh has finished yet
    broker_error: str | None  # None when the broker answered (the password redacted)
    queues: list  # queues.QueueState
    workers: list  # workers.Worker, live ones first

    @property
    def known(self) -> bool:
        return self.taken_at is not None

    @property
    def broker_ok(self) -> bool:
        return self.known and self.broker_error is None

    @property
    def workers_ok(self) -> bool:
        return any(worker.alive for worker in self.workers)


def current() -> Snapshot:
    """The latest snapshot: refreshed first when it is older than the interval and no other request
    is refreshing it; otherwise as it is (at most an interval and one refresh old)."""
    row, _ = MonitorSnapshot.objects.get_or_create(name=NAME)
    now = timezone.now()
    if _stale(row.taken_at, now) and _claim(now):
        try:
            data = _take()
        finally:
            MonitorSnapshot.objects.filter(name=NAME).update(refreshing_until=None)
        taken_at = timezone.now()
        MonitorSnapshot.objects.filter(name=NAME).update(taken_at=taken_at, data=data)
        return _load(data, taken_at)
    return _load(row.data, row.taken_at)


def refresh_queues() -> None:
    """Read the queues afresh into the snapshot, after an action that changed them (a purge), so that
    the next dashboard does not show for up to an interval the tasks just dropped. Cheap (one broker
    connection, no broadcast): the workers' part and taken_at stay as they were."""
    fresh = [asdict(queue) for queue in queues.states()]
    with transaction.atomic():
        row = MonitorSnapshot.objects.select_for_update().filter(name=NAME, taken_at__isnull=False).first()
        if row is not None:
            row.data = {**row.data, "queues": fresh}
            row.save(update_fields=["data"])


def _max_age() -> timedelta:
    return timedelta(seconds=settings.MONITOR_REFRESH_SECONDS)


def _stale(taken_at: datetime | None, now: datetime) -> bool:
    return taken_at is None or now - taken_at >= _max_age()


def _claim(now: datetime) -> bool:
    """Take the refresh for this request: one UPDATE, true for exactly one of the requests racing for it."""
    free = Q(refreshing_until__isnull=True) | Q(refreshing_until__lt=now)
    stale = Q(taken_at__isnull=True) | Q(taken_at__lte=now - _max_age())
    return bool(MonitorSnapshot.objects.filter(free & stale, name=NAME).update(refreshing_until=now + CLAIM_FOR))


def _take() -> dict:
    """Ask the broker and the workers; JSON for the row. A broker that is down is asked nothing more."""
    problem = control.broker_problem()
    if problem is None:
        found_queues, found_workers = queues.states(), workers.refresh()
    else:
        found_queues = [queues.QueueState(short, name, None, None, None, problem) for short, name in _site_queues()]
        found_workers = workers.last_known()
    return {
        "broker_error": problem,
        "queues": [asdict(queue) for queue in found_queues],
        "workers": [
            {**asdict(worker), "started_at": iso(worker.started_at), "last_seen": iso(worker.last_seen)}
            for worker in found_workers
        ],
    }


def _site_queues():
    return settings.QUEUES.items()


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _load(data: dict, taken_at: datetime | None) -> Snapshot:
    if taken_at is None:  # the very first refresh is under way in another request
        unknown = "not asked yet: the first check is under way"
        return Snapshot(
            None, unknown, [queues.QueueState(s, n, None, None, None, unknown) for s, n in _site_queues()], []
        )
    return Snapshot(
        taken_at=taken_at,
        broker_error=data.get("broker_error"),
        queues=[queues.QueueState(**queue) for queue in data.get("queues", [])],
        workers=[
            workers.Worker(
                **{**worker, "started_at": _moment(worker["started_at"]), "last_seen": _moment(worker["last_seen"])}
            )
            for worker in data.get("workers", [])
        ],
    )
