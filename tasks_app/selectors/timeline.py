"""One task's history, as its status page, the API and the CLI show it: sent, started, retried or
redelivered, progress, revoke requested, finished, each with its time and the gap since the event
before.

Built from what the site records anyway, so the worker pays nothing for it: the task's record
(when, by whom and from where it was sent, a revoke requested), the result row (worker, start,
last report, outcome) and the attempts a retrying or restarted task keeps in the row's meta
(tasks.fetch_url, worker.restarts), with each attempt's start time. What is not kept is not
invented: a progress report that a later one replaced, or when a worker took a message before it
started it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks_app.lib.formats import duration_text, iso
from tasks_app.models import SentFrom
from tasks_app.states import FINISHED_STATES, PROGRESS
from tasks_app.worker.restarts import INTERRUPTED

LABELS = {
    "sent": "Sent",
    "started": "Started",
    "retried": "Retried",
    "redelivered": "Redelivered",
    "retry_waiting": "Failed, will retry",
    "progress": "Progress",
    "revoke_requested": "Revoke requested",
    "finished": "Finished",
}
EVENTS = tuple(LABELS)


def gap_text(seconds: float | None) -> str:
    """A gap as the timeline shows it: `+120 ms`, `+3.44 s`, `+2 min 5 s`, `+3 h 10 min`."""
    return "" if seconds is None else f"+{duration_text(seconds)}"


@dataclass(frozen=True)
class Event:
    event: str  # one of EVENTS
    at: datetime | None
    detail: str = ""
    attempt: int | None = None
    worker: str = ""
    state: str = ""
    gap_seconds: float | None = None  # since the previous event with a time

    @property
    def label(self) -> str:
        return LABELS[self.event]

    @property
    def gap(self) -> str:
        return gap_text(self.gap_seconds)

    def as_text(self) -> str:
        """One line for the CLI: time, gap, what happened."""
        when = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if self.at else "(time not kept)"
        words = [self.label if self.attempt in (None, 1) else f"{self.label} (attempt {self.attempt})"]
        words += [f"on {self.worker}"] if self.worker else []
        words += [self.state] if self.state else []
        words += [f"- {self.detail}"] if self.detail else []
        return f"{when:<23} {self.gap:>12}  {' '.join(words)}"

    def as_json(self) -> dict:
        return {
            "event": self.event,
            "at": iso(self.at),
            "gap_ms": None if self.gap_seconds is None else round(self.gap_seconds * 1000),
            "detail": self.detail,
            "attempt": self.attempt,
            "worker": self.worker or None,
            "state": self.state or None,
        }


@dataclass(frozen=True)
class Facts:
    """What the timeline is built from (selectors.status gathers it)."""

    state: str
    enqueued_at: datetime | None
    sent_from: str = ""
    sent_by: str = ""
    periodic_task: str = ""
    by_hand: bool = False
    retry_of: str = ""
    started_at: datetime | None = None
    worker: str = ""
    attempts: dict | None = None  # status._attempts
    attempt_starts: tuple[str, ...] = ()  # ISO times, one per attempt, as the meta keeps them
    reported_at: datetime | None = None  # the result row's latest write
    progress: dict | None = None
    revoke_requested_at: datetime | None = None
    finished_at: datetime | None = None
    error: str = ""


def sent_detail(facts: Facts) -> str:
    """`from the form by alice`, `by beat (periodic task "nightly")`, `from another service`."""
    if facts.sent_from == SentFrom.BEAT:
        words = "by beat"
    elif facts.sent_from:
        words = f"from {SentFrom(facts.sent_from).label}"
    else:
        words = "from an unknown place"  # recorded before the site kept the way in
    if facts.sent_by:
        words += f" by {facts.sent_by}"
    if facts.periodic_task:
        words += f' as a {"hand-started " if facts.by_hand else ""}run of periodic task "{facts.periodic_task}"'
    if facts.retry_of:
        words += f", retrying {facts.retry_of}"
    return words


def _time(text) -> datetime | None:
    try:
        return parse_datetime(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _runs(facts: Facts) -> list[Event]:
    """One event per attempt started: the first `started`, each later one `retried` or
    `redelivered` with the reason the attempt before it ended; the current one on the row's worker."""
    attempts = facts.attempts or {}
    count = attempts.get("attempt") or (1 if facts.started_at else 0)
    errors = attempts.get("errors") or []
    events = []
    for number in range(1, count + 1):
        current = number == count
        at = facts.started_at if current else None
        if at is None and number <= len(facts.attempt_starts):
            at = _time(facts.attempt_starts[number - 1])
        if number == 1:
            kind, detail = "started", ""
        else:
            reason = errors[number - 2] if number - 2 < len(errors) else ""
            kind = "redelivered" if INTERRUPTED in reason else "retried"
            detail = f"attempt {number - 1} ended: {reason}" if reason else ""
        if current and at is None and not facts.worker and facts.state not in FINISHED_STATES:
            continue  # not started yet
        events.append(Event(kind, at, detail, number, facts.worker if current else ""))
    if facts.state == "RETRY" and len(errors) >= count:
        events.append(Event("retry_waiting", facts.reported_at, f"attempt {count} failed: {errors[count - 1]}", count))
    return events


def build(facts: Facts) -> tuple[Event, ...]:
    events = [Event("sent", facts.enqueued_at, sent_detail(facts))]
    events += _runs(facts)
    if facts.state == PROGRESS and facts.progress:
        detail = f"{facts.progress['percent']}% {facts.progress['message']}".strip()
        events.append(Event("progress", facts.reported_at, detail))
    if facts.revoke_requested_at:
        events.append(Event("revoke_requested", facts.revoke_requested_at, "this run finishes; it will not run again"))
    if facts.state in FINISHED_STATES:
        events.append(Event("finished", facts.finished_at, facts.error, state=facts.state))
    return with_gaps(events)


def with_gaps(events: list[Event]) -> tuple[Event, ...]:
    """The events in time order (those without a time keep their place after the one before them),
    each with the gap since the previous event that has a time."""
    ordered, last = [], None
    for event in _in_order(events):
        gap = (event.at - last).total_seconds() if event.at and last else None
        ordered.append(Event(**{**event.__dict__, "gap_seconds": gap}))
        last = event.at or last
    return tuple(ordered)


def _in_order(events: list[Event]) -> list[Event]:
    keys, previous = [], None
    for position, event in enumerate(events):
        previous = event.at or previous
        keys.append((previous.timestamp() if previous else float("-inf"), position))
    return [event for _key, event in sorted(zip(keys, events, strict=True), key=lambda pair: pair[0])]
