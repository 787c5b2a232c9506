"""django-celery-results' database backend, made to wait out a database outage.

With `result_backend_always_retry`, Celery retries a failed result write with backoff, but
only for errors the backend calls safe to retry, and django-celery-results names only
InterfaceError ("connection already closed"). A PostgreSQL restart or failover raises
OperationalError instead ("terminating connection", "connection refused", "database does not
allow connections"), so a task that finished during one lost its result, and the status page
said PROGRESS forever. Writing a result is an update-or-create on the task id, so repeating
it is safe.
"""

from django.db import InterfaceError, OperationalError, connection
from django_celery_results.backends.database import DatabaseBackend as BaseDatabaseBackend


class DatabaseBackend(BaseDatabaseBackend):
    def exception_safe_to_retry(self, exc):
        if isinstance(exc, InterfaceError | OperationalError):
            connection.close()  # the next attempt opens a fresh connection
            return True
        return super().exception_safe_to_retry(exc)
