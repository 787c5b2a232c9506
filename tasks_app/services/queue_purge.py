"""Emptying one site queue from the dashboard: the staff page's Empty… goes through here, not to the
broker directly, so that the purge and what follows it (the shared snapshot read afresh) stay one act
whichever way in asks for it."""

from __future__ import annotations

from tasks_app.broker import queues
from tasks_app.selectors import monitoring


def waiting(short_name: str) -> queues.QueueState:
    """The queue as the broker holds it now, for the confirmation: how many tasks a purge would drop."""
    return next(state for state in queues.states() if state.name == short_name)


def purge(short_name: str, by: str) -> queues.Purged:
    """Drop the queue's tasks, each marked REVOKED with who, when and which queue (broker.queues.purge),
    then read the queues afresh into the monitoring snapshot: the dashboard shown next must not still
    count the dropped tasks as waiting."""
    purged = queues.purge(short_name, by=by)
    monitoring.refresh_queues()
    return purged


def limits() -> tuple[int, float]:
    """How far one purge goes (tasks, seconds) before it stops and says that more may remain."""
    return queues.PURGE_LIMIT, queues.PURGE_SECONDS
