"""Every worker: what it consumes, how many tasks it runs now and has done, when it last answered.

Why remote control and a table rather than Celery's event stream (Flower's way): events need
every worker started with `-E` and a process that listens all the time; a broadcast answered
within a second needs neither. Each dashboard refresh asks the live workers and records each
answer in WorkerSeen; a worker that stops answering is shown as gone from its last answer until
FORGET_AFTER, then dropped, so a scaled-down dyno is visible for a while and not kept for ever.
Recording what was observed is the one write a GET of the dashboard makes; it changes nothing
that a person set.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from tasks_app.broker import control
from tasks_app.lib.formats import iso
from tasks_app.models import WorkerSeen

logger = logging.getLogger(__name__)

FORGET_AFTER = timedelta(minutes=10)
INSPECT_TIMEOUT = 1.0


@dataclass(frozen=True)
class Worker:
    name: str
    alive: bool | None  # None: the workers could not be asked
    queues: list[str]
    concurrency: int | None
    running: int
    processed: int
    started_at: datetime | None
    last_seen: datetime

    @property
    def state(self) -> str:
        return {True: "alive", False: "gone", None: "unknown"}[self.alive]

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "state": self.state,
            "queues": self.queues,
            "concurrency": self.concurrency,
            "running": self.running,
            "processed": self.processed,
            "started_at": iso(self.started_at),
            "last_seen": iso(self.last_seen),
        }


def _ask(timeout: float) -> dict[str, dict]:
    """Each answering worker's stats, running tasks and queues, by node name.

    Each broadcast waits its whole timeout (nobody knows how many workers will answer; a limit
    would miss a worker just started), so they are asked at once: a refresh takes one timeout,
    not three. (On the filesystem broker, broadcasts binding to one new reply exchange at once
    are safe since helloworld.transports creates its file whole.)
    """
    commands = ["stats", "active", "active_queues"]
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        stats, active, active_queues = pool.map(lambda command: control.inspect(command, timeout), commands)
    # A node missing from one answer has None there: not heard this time (see _record).
    return {
        node: {"stats": stats.get(node), "active": active.get(node), "queues": active_queues.get(node)}
        for node in {*stats, *active, *active_queues}
    }


def _record(node: str, answer: dict, now: datetime) -> None:
    """Record what this refresh heard from `node`. Each broadcast has its own timeout, so a busy
    worker may answer one and miss another: what it did not answer this time keeps its last
    recorded value instead of being blanked."""
    seen: dict = {"last_seen": now}
    if answer.get("queues") is not None:
        seen["queues"] = sorted(queue["name"] for queue in answer["queues"])
    if answer.get("active") is not None:
        seen["running"] = len(answer["active"])
    if stats := answer.get("stats"):
        concurrency = (stats.get("pool") or {}).get("max-concurrency")
        uptime = stats.get("uptime")
        seen["concurrency"] = concurrency if isinstance(concurrency, int) else None
        seen["processed"] = sum(count for count in (stats.get("total") or {}).values() if isinstance(count, int))
        seen["started_at"] = now - timedelta(seconds=uptime) if isinstance(uptime, int | float) else None
    WorkerSeen.objects.update_or_create(name=node[:255], defaults=seen)


def refresh(timeout: float = INSPECT_TIMEOUT) -> list[Worker]:
    """Ask the workers, record the answers, forget the long gone; every worker, live ones first.

    A broker that cannot be reached leaves the records as they were: every worker then shows
    as gone since its last answer, which is what the site can honestly say."""
    try:
        answers = _ask(timeout)
    except Exception:  # a broker that is down or failed mid-broadcast: the workers' state is unknown
        logger.warning("Could not ask the workers", exc_info=True)
        answers = None
    return _listed(answers)


def last_known() -> list[Worker]:
    """Every recorded worker, its state unknown, without asking anyone: for a broker known to be down,
    where a broadcast would only wait for kombu's retries (14 s) to fail."""
    return _listed(None)


def _listed(answers: dict[str, dict] | None) -> list[Worker]:
    now = timezone.now()
    WorkerSeen.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()
    for node, answer in (answers or {}).items():
        _record(node, answer, now)
    rows = WorkerSeen.objects.all()
    found = [
        Worker(
            name=row.name,
            alive=None if answers is None else row.name in answers,
            queues=row.queues,
            concurrency=row.concurrency,
            running=row.running if answers and row.name in answers else 0,
            processed=row.processed,
            started_at=row.started_at,
            last_seen=row.last_seen,
        )
        for row in rows
    ]
    return sorted(found, key=lambda worker: (worker.alive is not True, worker.name))
