"""One worker as its control page shows it: what it runs, holds and has scheduled, its pool, its queues
and rate limits (asked by remote control, of that worker alone), and the control commands people sent
it (tasks_app.services.worker_control records them)."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tasks_app import catalog
from tasks_app.broker import control, workers
from tasks_app.models import WorkerAction

logger = logging.getLogger(__name__)

ASK_SECONDS = 1.0  # ends at the worker's answer; only a worker that does not answer waits it all
RECENT_ACTIONS = 10
COMMANDS = ("stats", "active", "reserved", "scheduled", "active_queues", "registered")
RATE_LIMIT = re.compile(r"^(?P<task>\S+) \[.*\brate_limit=(?P<rate>\S+?)\]?$")


@dataclass(frozen=True)
class TaskHeld:
    """A task a worker holds: running, reserved (prefetched) or scheduled (waiting for its eta)."""

    id: str
    name: str
    eta: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "eta": self.eta}


@dataclass(frozen=True)
class WorkerDetail:
    name: str
    answered: bool
    problem: str | None = None  # the broker could not be asked
    pool: int | None = None
    pool_kind: str = ""
    running: list[TaskHeld] = field(default_factory=list)
    reserved: list[TaskHeld] = field(default_factory=list)
    scheduled: list[TaskHeld] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # short names for the site's queues
    rate_limits: dict[str, str | None] = field(default_factory=dict)  # catalog name -> rate, None: none

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "answered": self.answered,
            "problem": self.problem,
            "pool": self.pool,
            "pool_kind": self.pool_kind,
            "running": [task.as_json() for task in self.running],
            "reserved": [task.as_json() for task in self.reserved],
            "scheduled": [task.as_json() for task in self.scheduled],
            "queues": self.queues,
            "rate_limits": self.rate_limits,
        }


def listed() -> list[workers.Worker]:
    """Every worker the dashboard knows, asked afresh."""
    return workers.refresh()


def _held(requests, scheduled: bool = False) -> list[TaskHeld]:
    found = []
    for item in requests or []:
        request = item.get("request", {}) if scheduled else item
        eta = item.get("eta") if scheduled else None
        found.append(TaskHeld(str(request.get("id", "")), str(request.get("name", "")), eta))
    return found


def _rate_limits(registered) -> dict[str, str | None]:
    by_task = {entry.task.name: name for name, entry in catalog.ENTRIES.items()}
    limits: dict[str, str | None] = {name: None for name in catalog.names()}
    for line in registered or []:
        matched = RATE_LIMIT.match(str(line))
        if matched and matched["task"] in by_task:
            limits[by_task[matched["task"]]] = matched["rate"]
    return limits


def detail(name: str, timeout: float = ASK_SECONDS) -> WorkerDetail:
    """What `name` says of itself now (each question asked at once, each ending at its answer). A name
    without `@` is no Celery node name (Celery gives every worker one as name@host): nobody is asked."""
    if "@" not in name:
        return WorkerDetail(name, answered=False)
    try:
        with ThreadPoolExecutor(max_workers=len(COMMANDS)) as pool:
            asked = [
                pool.submit(
                    control.inspect_one, command, name, timeout, *(["rate_limit"] if command == "registered" else [])
                )
                for command in COMMANDS
            ]
            stats, active, reserved, scheduled, queues, registered = (future.result() for future in asked)
    except Exception as exc:  # the broker is down or failed mid-broadcast: say so rather than a 500
        logger.warning("Could not ask worker %s", name, exc_info=True)
        return WorkerDetail(name, answered=False, problem=f"{exc.__class__.__name__}: {exc}")
    answers = (stats, active, reserved, scheduled, queues, registered)
    if all(answer is None for answer in answers):
        return WorkerDetail(name, answered=False)
    pool_info = (stats or {}).get("pool") or {}
    # A process pool lists its processes, which grow and shrink change; max-concurrency stays as started.
    processes = pool_info.get("processes")
    limit = len(processes) if isinstance(processes, list) else pool_info.get("max-concurrency")
    return WorkerDetail(
        name,
        answered=True,
        pool=limit if isinstance(limit, int) else None,
        pool_kind=str(pool_info.get("implementation", "")).rpartition(":")[0].rpartition(".")[2],
        running=_held(active),
        reserved=_held(reserved),
        scheduled=_held(scheduled, scheduled=True),
        queues=sorted(catalog.short_queue(queue.get("name", "")) for queue in queues or []),
        rate_limits=_rate_limits(registered),
    )


def recent_actions(worker: str | None = None, limit: int = RECENT_ACTIONS) -> list[WorkerAction]:
    """The latest control commands sent, to one worker or to any."""
    rows = WorkerAction.objects.all()
    if worker is not None:
        rows = rows.filter(worker=worker)
    return list(rows[:limit])


def action_json(row: WorkerAction) -> dict:
    return {
        "at": row.at.isoformat(),
        "by": row.by,
        "worker": row.worker,
        "action": row.action,
        "arguments": row.arguments,
        "outcome": row.outcome,
        "reply": row.reply,
    }
