"""A stop signal reaching beat in the middle of a database write lets the write finish; beat
stops at its next tick instead (see tasks_app/beat/shutdown.py for what happened before)."""

import os
import signal

import pytest
from django.db import transaction

from helloworld.celery import app as project_app
from tasks_app.beat import shutdown
from tasks_app.beat.scheduler import DatabaseScheduler
from tasks_app.models import TaskRecord


@pytest.fixture
def own_signal_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    # The stop this test asked for must not stop a later test's beat: an embedded beat runs in a
    # thread, where the scheduler never installs its handlers and so never clears the request.
    shutdown._stop_requested.clear()


def record(name: str) -> None:
    TaskRecord.objects.create(task_id=name, task_name="echo", args=[name], queue="q")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_mid_write_lets_the_write_finish_and_stops_beat_at_its_next_tick(
    transactional_db, own_signal_handlers, sig
):
    scheduler = DatabaseScheduler(app=project_app)
    scheduler.tick()  # beat's loop is running: the first tick installs the handlers
    with transaction.atomic():
        record("before the signal")
        os.kill(os.getpid(), sig)  # delivered here, between two writes of one transaction
        record("after the signal")
    assert TaskRecord.objects.count() == 2
    with pytest.raises(SystemExit, match="beat stopped by a signal"):
        scheduler.tick()
    scheduler.close()
