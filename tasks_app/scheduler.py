"""The beat scheduler: django-celery-beat's DatabaseScheduler, sending only while it holds the
beat lease, leaving a heartbeat, and not missing a change saved just after it starts."""

import logging
import os
import socket
import time
from datetime import UTC, datetime

from django.db import DatabaseError, connections
from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler

from tasks_app import beat_lease, beat_shutdown, monitoring

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How often a beat asks for the lease and records its heartbeat: well inside the lease.
CHECK_EVERY_SECONDS = 2.0


class DatabaseScheduler(BaseDatabaseScheduler):
    """Scheduling itself is django-celery-beat's; this class decides whether to take part."""

    def __init__(self, *args, **kwargs):
        # The platform names the dyno (beat.1, workerbeat.1); elsewhere the host must do.
        self.node = f"{os.environ.get('DYNO') or socket.gethostname()}:{os.getpid()}"
        self.leading = None  # not known until the first tick asks
        self._last_check = float("-inf")
        self._stop_handlers_installed = False
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
        if not self._stop_handlers_installed:  # on the first tick: beat's loop is running, in this thread
            beat_shutdown.install()
            self._stop_handlers_installed = True
        beat_shutdown.stop_if_requested()
        now = time.monotonic()
        if now - self._last_check >= CHECK_EVERY_SECONDS:
            self._last_check = now
            self._check_leadership()
        if not self.leading:
            return CHECK_EVERY_SECONDS  # stand by: send nothing, ask again soon
        return min(super().tick(*args, **kwargs), CHECK_EVERY_SECONDS)

    def _check_leadership(self):
        try:
            leading = beat_lease.acquire(self.node)
        except DatabaseError:
            logger.warning("beat %s cannot reach the database; it sends nothing until it can", self.node)
            leading = False
        if leading != self.leading:
            if leading:
                logger.info("beat %s leads: it sends the periodic tasks", self.node)
                # Another beat may have sent tasks while this one stood by: read every row
                # afresh (last run times included) before sending anything.
                self._last_timestamp = EPOCH
            else:
                current = beat_lease.leader()
                holder = current.holder if current else "another beat"
                logger.info("beat %s is not the leader (%s leads): it stands by and sends nothing", self.node, holder)
        self.leading = leading
        # Which schedule change the leader has loaded, for the dashboard (standing by, it loads none).
        seen = self._last_timestamp if leading and self._last_timestamp != EPOCH else None
        monitoring.record_beat_tick(self.node, is_leader=leading, schedule_seen_at=seen)

    def close(self):
        super().close()
        if self.leading:
            beat_lease.release(self.node)  # hand over at once rather than after the lease expires
        connections.close_all()  # beat may run in a thread (worker --beat) that outlives it
