"""django-celery-results' database backend, made to wait out a database outage and to clean
up in batches.

With `result_backend_always_retry`, Celery retries a failed result write with backoff, but
only for errors the backend calls safe to retry, and django-celery-results names only
InterfaceError ("connection already closed"). A PostgreSQL restart or failover raises
OperationalError instead ("terminating connection", "connection refused", "database does not
allow connections"), so a task that finished during one lost its result, and the status page
said PROGRESS forever. Writing a result is an update-or-create on the task id, so repeating
it is safe.

Each result is written in one statement with the record's mirrored state (managers.ResultWriter),
and STARTED only for a task still running after TASK_STARTED_DELAY seconds (worker.started).

Celery's daily `celery.backend_cleanup` calls `cleanup()`, which in django-celery-results is
one DELETE of every expired row in one transaction: on a busy site's table, a long lock
that workers writing results wait behind. Here it deletes in batches, and deletes the site's
own records of the same tasks with them (or their status pages would say QUEUED for ever), and
the attempts of django.tasks tasks (tasks_app.djtasks).
"""

from datetime import datetime, timedelta

from celery import states
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_celery_results.backends.database import DatabaseBackend as BaseDatabaseBackend
from django_celery_results.models import GroupResult, TaskResult

from tasks_app.models import StoredTaskResult, TaskAttempts, TaskRecord
from tasks_app.worker.started import deferred_starts

CLEANUP_BATCH = 5000


def delete_in_batches(queryset) -> int:
    """Delete what `queryset` selects, CLEANUP_BATCH rows per statement (each its own transaction)."""
    deleted = 0
    while ids := list(queryset.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        deleted += queryset.model._default_manager.filter(pk__in=ids).delete()[0]
    return deleted


class DatabaseBackend(BaseDatabaseBackend):
    TaskModel = StoredTaskResult  # one statement per result written (managers.ResultWriter)

    def _store_result(self, task_id, result, status, traceback=None, request=None, using=None):
        if status == states.STARTED and settings.TASK_STARTED_DELAY > 0:
            started_at = timezone.now()
            deferred_starts.hold(
                task_id,
                started_at,
                settings.TASK_STARTED_DELAY,
                lambda: self._write(task_id, result, status, traceback, request, using, started_at),
            )
            return result
        started_at = deferred_starts.settle(task_id)  # set when this state replaces a STARTED never written
        if status == states.STARTED:
            started_at = timezone.now()
        return self._write(task_id, result, status, traceback, request, using, started_at)

    def _write(self, task_id, result, status, traceback, request, using, started_at: datetime | None):
        """django-celery-results 2.6's `_store_result`, but with the start time given, not Now()
        (a STARTED written late, or a later state carrying the start of a STARTED never written)."""
        content_type, content_encoding, encoded = self.encode_content(result)
        meta = {**self._get_meta_from_request(request), "children": self.current_task_children(request)}
        _, _, encoded_meta = self.encode_content(meta)
        fields = {
            "content_encoding": content_encoding,
            "content_type": content_type,
            "meta": encoded_meta,
            "result": encoded,
            "status": status,
            "task_id": task_id,
            "traceback": traceback,
            "using": using,
            **self._get_extended_properties(request, traceback),
        }
        if started_at is not None:
            fields["date_started"] = started_at
        self.TaskModel._default_manager.store_result(**fields)
        return result

    def cleanup(self):
        if not self.expires:
            return
        expires = self.expires if isinstance(self.expires, timedelta) else timedelta(seconds=self.expires)
        cutoff = timezone.now() - expires
        delete_in_batches(TaskResult.objects.filter(date_done__lt=cutoff))
        delete_in_batches(GroupResult.objects.filter(date_done__lt=cutoff))
        delete_in_batches(TaskRecord.objects.filter(created_at__lt=cutoff))
        delete_in_batches(TaskAttempts.objects.filter(last_attempted_at__lt=cutoff))  # django.tasks runs

    def exception_safe_to_retry(self, exc):
        if isinstance(exc, InterfaceError | OperationalError):
            connection.close()  # the next attempt opens a fresh connection
            return True
        return super().exception_safe_to_retry(exc)
