"""Revocation that outlives workers: the database says which tasks were revoked, and the worker
checks it before it runs a task.

`app.control.revoke` only reaches the workers that are up, and a worker forgets its revoked
set when it restarts. `services.revoke` therefore also writes a REVOKED result row; the site's
tasks use the `Request` below, whose `revoked()` (Celery's own check, made when a message
arrives and again just before the task runs, ETA and retry countdowns included) also asks the
database. A task found revoked there is discarded exactly as Celery discards one it was told
about: never run, message acknowledged, REVOKED left in place.

Why not a `task_prerun` handler raising `Ignore`? Celery's signal dispatch logs a receiver's
exception and goes on to run the task. Nor `Task.before_start`: by then the worker has already
overwritten REVOKED with STARTED (task_track_started).
"""

from __future__ import annotations

import logging
import threading

from celery import Task
from celery import states as celery_states
from celery.worker.request import Request as CeleryRequest
from celery.worker.state import revoked as worker_revoked
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def is_revoked(task_id: str) -> bool:
    """Was this task revoked: marked REVOKED in the result table (it was queued), or its revocation
    requested while it ran (services.revoke)? One query for both."""
    # Imported here: tasks.py imports this module before the apps are ready.
    from django_celery_results.models import TaskResult

    from tasks_app.models import TaskRecord

    marked = TaskResult.objects.filter(task_id=task_id, status=celery_states.REVOKED)
    requested = TaskRecord.objects.filter(task_id=task_id, revoke_requested_at__isnull=False)
    # order_by(): a UNION's parts may not be ordered, and both models have a default ordering.
    either = marked.order_by().values_list("task_id").union(requested.order_by().values_list("task_id"))
    return bool(either[:1])


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
            revoked = is_revoked(self.id)
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
