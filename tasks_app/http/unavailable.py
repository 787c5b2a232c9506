"""The database did not answer in time (a statement or lock bound: helloworld/database.py) or at all: the
errors that say so, and what the caller is told (a 503 with Retry-After, JSON on the API: tasks_app.api.
decorators; a short page elsewhere: tasks_app.views.errors). The connection stays usable: PostgreSQL cancels
only the statement, Django rolls back any transaction the error leaves, and closes a broken connection when
the request ends (CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError

from tasks_app.errors import UserError

# OperationalError: a statement or lock bound ran out (psycopg's QueryCanceled, LockNotAvailable), SQLite's
# "database is locked", a refused or dropped connection. InterfaceError: a connection already closed.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is busy or unreachable, so this request was not served. Try again in a few seconds."


class DatabaseUnavailable(UserError):
    """One of DATABASE_ERRORS, as a person is told of it (the error's own words go to the logs)."""

    retry_after = RETRY_AFTER_SECONDS

    def __init__(self):
        super().__init__(MESSAGE)


def database_error_in_flight() -> bool:
    """Is the exception being handled one of DATABASE_ERRORS? (For a handler that is given none.)"""
    return isinstance(sys.exc_info()[1], DATABASE_ERRORS)
