"""Revocation that outlives workers: the database says which tasks were revoked, and the worker
checks it before it runs a task.

`app.control.revoke` only reaches the workers that are up, and a worker forgets its revoked
set when it restarts. `services.revoke` therefore also writes a REVOKED result row (or, for a
task that was running, the record's revoke_requested_at); the site's tasks use the `Request`
below, whose `revoked()` (Celery's own check, made just before the task runs, ETA and retry
countdowns included) also asks the database's revocations. A task found revoked there is
discarded exactly as Celery discards one it was told about: never run, message acknowledged,
REVOKED left in place.

The worker does not query per task: it holds the database's revocations in memory
(`DatabaseRevocations`), all of them read when the worker starts, and then, at most once every
REFRESH_SECONDS, only those written since the last read. A query per task cost the worker a
fifth of its rate. What the cache gives up: a revocation whose broadcast every up worker missed
(the broker failed between the database write and the broadcast) is seen up to REFRESH_SECONDS
late; a revocation made while no worker was up is seen by every worker that starts.

Why not a `task_prerun` handler raising `Ignore`? Celery's signal dispatch logs a receiver's
exception and goes on to run the task. Nor `Task.before_start`: by then the worker has already
overwritten REVOKED with STARTED (task_track_started).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timedelta

from celery import Task
from celery import states as celery_states
from celery.signals import worker_init
from celery.worker.request import Request as CeleryRequest
from celery.worker.state import revoked as worker_revoked
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


REFRESH_SECONDS = 1.0
# Each refresh reads again this far behind the last one: a revocation's time is taken before its
# transaction commits, and on a web process whose clock may differ from the worker's.
OVERLAP = timedelta(minutes=2)


def revoked_since(since: datetime | None) -> set[str]:
    """The ids of tasks revoked (marked REVOKED in the result table: they were queued) or whose
    revocation was requested while they ran (services.revoke), at or after `since`; all of them
    for None. One statement for both, written once here rather than built by the ORM at each
    refresh: on an idle site every task's refresh is on its way to running (0.5 ms of query
    building against 0.1 ms for the statement)."""
    # Imported here: tasks.py imports this module before the apps are ready.
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(name).column)}"

    # Identifiers from the models' metadata, quoted; every value is a parameter.
    marked = f"SELECT {column(TaskResult, 'task_id')} FROM {quote(TaskResult._meta.db_table)} "  # noqa: S608
    marked += f"WHERE {column(TaskResult, 'status')} = %s"
    requested = f"SELECT {column(TaskRecord, 'task_id')} FROM {quote(TaskRecord._meta.db_table)} "  # noqa: S608
    requested += f"WHERE {column(TaskRecord, 'revoke_requested_at')} IS NOT NULL"
    params: list = [celery_states.REVOKED]
    if since is not None:
        value = connection.ops.adapt_datetimefield_value(since)
        marked += f" AND {column(TaskResult, 'date_done')} >= %s"
        requested += f" AND {column(TaskRecord, 'revoke_requested_at')} >= %s"
        params += [value, value]
    with connection.cursor() as cursor:
        cursor.execute(f"{marked} UNION {requested}", params)
        return {task_id for (task_id,) in cursor.fetchall()}


class DatabaseRevocations:
    """A worker's copy of the database's revocations, read in full at first use, then topped up."""

    def __init__(self):
        self._lock = threading.Lock()  # the thread pool's and the consumer's checks may overlap
        self.forget()

    def forget(self) -> None:
        """Start over: the next check reads every revocation (a worker starting)."""
        with self._lock:
            self._ids: set[str] = set()
            self._read_up_to: datetime | None = None
            self._read_at = -math.inf  # time.monotonic() of the last read

    def __contains__(self, task_id: str) -> bool:
        with self._lock:
            if task_id not in self._ids and time.monotonic() - self._read_at >= REFRESH_SECONDS:
                self._refresh()
            return task_id in self._ids

    def _refresh(self) -> None:
        started = timezone.now()
        since = None if self._read_up_to is None else self._read_up_to - OVERLAP
        self._ids |= revoked_since(since)
        self._read_up_to = started
        self._read_at = time.monotonic()


database_revocations = DatabaseRevocations()


@worker_init.connect
def _worker_starting(**kwargs):
    database_revocations.forget()


class Request(CeleryRequest):
    def revoked(self):
        try:
            return self._revoked()
        finally:
            # A real worker checks in its main thread, whose connection Django's fix-up manages; an
            # embedded worker (tests) checks in a thread of its own, whose connection nobody closes
            # (and PostgreSQL then refuses to drop the test database).
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    def _revoked(self):
        if super().revoked():
            return True
        try:
            revoked = self.id in database_revocations
        except DatabaseError:
            # Run it rather than drop it: a database this sick fails the task's own result write.
            logger.warning("Could not check whether task %s was revoked", self.id, exc_info=True)
            return False
        if not revoked:
            return False
        worker_revoked.add(self.id)  # later checks of this request, and its redeliveries, agree at once
        return super().revoked()  # Celery's own path: logs "Discarding revoked task", acks, keeps REVOKED


class SiteTask(Task):
    """The base class of the site's tasks: Celery's Task with the revocation-checking Request."""

    Request = "tasks_app.worker.revocation:Request"
