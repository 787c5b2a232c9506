"""A worker's copy of the database's revocations (worker.revocation.DatabaseRevocations): read in
full at first use, topped up with what was written since its last read, never a query per task."""

from datetime import timedelta

from celery import current_app
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.models import TaskRecord
from tasks_app.worker import revocation


def record(task_id: str, **fields) -> TaskRecord:
    return TaskRecord.objects.create(task_id=task_id, task_name="echo", queue="q", **fields)


def test_every_revocation_is_read_when_a_worker_starts_and_then_only_what_is_new(db, monkeypatch):
    current_app.backend.mark_as_revoked("queued-then-revoked")
    record("running-then-revoked", revoke_requested_at=timezone.now() - timedelta(days=3))
    record("never-revoked")
    seen = revocation.DatabaseRevocations()
    assert "queued-then-revoked" in seen
    assert "running-then-revoked" in seen  # however old: the first read takes them all

    with CaptureQueriesContext(connection) as queries:
        assert "never-revoked" not in seen  # within REFRESH_SECONDS of the last read: no query
    assert len(queries) == 0

    monkeypatch.setattr(revocation, "REFRESH_SECONDS", 0)
    # Written since, with a time a little before the last read (a transaction that committed late,
    # a web process whose clock is behind): the overlap still finds it.
    record("revoked-late", revoke_requested_at=timezone.now() - timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        assert "revoked-late" in seen
    assert len(queries) == 1
    assert "revoked-late" in seen  # known now: no second query
    assert "never-revoked" not in seen


def test_a_starting_worker_reads_everything_again(db, monkeypatch):
    seen = revocation.DatabaseRevocations()
    assert "old" not in seen
    # A revocation with a time long before the last read is outside any top-up's window...
    record("old", revoke_requested_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(revocation, "REFRESH_SECONDS", 0)
    assert "old" not in seen
    # ...and inside the full read of a worker that starts (Celery's worker_init).
    seen.forget()
    assert "old" in seen
