"""A long task that starts again after its run was cut off says so.

With acks_late, a task whose worker stopped mid-run (a platform restart, Ctrl-C past the soft
shutdown, a crash) goes back to the broker and runs again from the start under the same id.
Without a note its page showed the progress falling back to 0% as if nothing had happened. When
such a task starts and its result row still says it was running (STARTED or PROGRESS: no run
of it finished), the run before was interrupted: this run is the next attempt, and the reason is
kept with the attempts in the result's meta (as fetch_url keeps its own retries, see
status._attempts), so the page, the API and the CLI say "attempt 2" and why.

Only tasks that set `track_restarts` pay for the look (one indexed read as they start): a quick
task restarted shows nothing worth a query per task.
"""

from __future__ import annotations

import json
import logging

from celery.signals import task_prerun
from django.db import DatabaseError
from django.utils import timezone

from tasks_app.states import RUNNING_STATES

logger = logging.getLogger(__name__)

INTERRUPTED = "was interrupted: its worker stopped"  # how a note below reads (selectors.timeline finds it)


def attempt_starts(meta: dict | None, first_started_at=None) -> list[str]:
    """The start times (ISO) of the attempts so far, kept in the result's meta, and now's for the one
    starting: the task's timeline shows when each began. In the message (a retry's header) or the
    row's meta that the state write carries anyway: no write of its own."""
    starts = (meta or {}).get("starts")
    if not isinstance(starts, list):
        starts = [first_started_at.isoformat()] if first_started_at else []
    return [*starts, timezone.now().isoformat()]


def interrupted_note(attempt: int, last_heard) -> str:
    when = timezone.localtime(last_heard).strftime("%Y-%m-%d %H:%M:%S %Z") if last_heard else "an unknown time"
    return (
        f"Attempt {attempt} {INTERRUPTED} before it finished (last heard from at {when}). "
        "The task was handed back and started again from the beginning."
    )


def next_attempt(row: dict) -> dict | None:
    """The meta of the run starting now, given the result row of the run before (status, meta,
    date_started, date_done); None when that run was not interrupted (first run, or it finished)."""
    if row["status"] not in RUNNING_STATES:
        return None
    try:
        meta = json.loads(row["meta"]) if row["meta"] else {}
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    attempt = meta.get("attempt") if isinstance(meta.get("attempt"), int) else 1
    errors = [str(error) for error in meta.get("errors") or []] if isinstance(meta.get("errors"), list) else []
    return {
        "attempt": attempt + 1,
        "max_attempts": meta.get("max_attempts"),
        "errors": [*errors, interrupted_note(attempt, row["date_done"])],
        "starts": attempt_starts(meta, row.get("date_started")),
    }


@task_prerun.connect
def note_restart(task=None, task_id=None, **kwargs):
    if not getattr(task, "track_restarts", False):
        return
    from django_celery_results.models import TaskResult  # imported late: tasks.py loads before the apps

    try:
        row = TaskResult.objects.filter(task_id=task_id).values("status", "meta", "date_started", "date_done").first()
    except DatabaseError:
        logger.warning("Could not check whether task %s ran before", task_id, exc_info=True)
        return
    meta = next_attempt(row) if row else None
    if meta is not None:
        # Written with every state this run stores (django-celery-results keeps request.meta).
        task.request.meta = meta
        logger.warning("Task %s was interrupted and starts again: attempt %s", task_id, meta["attempt"])
