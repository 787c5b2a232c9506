"""The beat scheduler: django-celery-beat's DatabaseScheduler, leaving a heartbeat as it ticks."""

import os
import socket
import time
from datetime import UTC, datetime

from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler

from tasks_app import monitoring

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DatabaseScheduler(BaseDatabaseScheduler):
    """django-celery-beat's scheduler with a heartbeat, and without a missed first change."""

    def __init__(self, *args, **kwargs):
        # The platform names the dyno (beat.1, workerbeat.1); elsewhere the host must do.
        self.node = f"{os.environ.get('DYNO') or socket.gethostname()}:{os.getpid()}"
        self._last_heartbeat = float("-inf")
        super().__init__(*args, **kwargs)

    def setup_schedule(self):
        # The base class remembers the last change only on its first check after the initial
        # read, and that check compares the change with itself: a periodic task saved between
        # beat's start and its first tick was never loaded until something else changed.
        # Remembering it before the initial read closes that window (at worst one extra reload);
        # on a database that has never recorded a change, any change is newer than the epoch.
        self._last_timestamp = self.Changes.last_change() or EPOCH
        super().setup_schedule()
        monitoring.forget_old_beats()

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= monitoring.BEAT_HEARTBEAT_EVERY.total_seconds():
            monitoring.record_beat_tick(self.node)
            self._last_heartbeat = now
        return super().tick(*args, **kwargs)
