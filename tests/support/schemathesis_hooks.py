"""A Schemathesis check of our own (loaded through SCHEMATHESIS_HOOKS by tests/api/test_schemathesis.py):
a refused request records nothing. The site's SQLite database is read directly, between requests
(Schemathesis runs with one worker, so the requests come one at a time)."""

import os
import sqlite3

import schemathesis

_seen = {"records": None}  # the task records counted after the previous answer


def _records() -> int:
    with sqlite3.connect(os.environ["SITE_DATABASE"]) as connection:
        return connection.execute("SELECT COUNT(*) FROM tasks_app_taskrecord").fetchone()[0]


@schemathesis.check
def refused_requests_record_nothing(ctx, response, case):
    now, before = _records(), _seen["records"]
    _seen["records"] = now
    if before is not None and response.status_code >= 400 and now != before:
        raise AssertionError(
            f"{case.method} {case.path} answered {response.status_code} yet recorded {now - before} task(s)"
        )
