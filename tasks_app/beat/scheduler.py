"""The beat scheduler: django-celery-beat's DatabaseScheduler, sending only while it holds the
beat lease, leaving a heartbeat, not missing a change saved just after it starts, and reading
only the periodic tasks that changed.

django-celery-beat rereads every enabled row on any change (and every five minutes), and Celery
compares every entry of the schedule with its previous copy on every tick: both grow with the
number of rows, and at tens of thousands of rows beat falls behind.
Here a tick costs the same at any size, and a change costs what changed:
- on a change (django-celery-beat's change counter) or every five minutes, `beat.changes` finds the
  rows whose schedule fields differ from what was loaded and the rows gone or disabled; only those
  are read in full and rebuilt, or dropped;
- the heap of due times is patched for those rows instead of rebuilt from every entry;
- everything is read afresh (as django-celery-beat does) when this beat starts and whenever it
  becomes the leader, since another beat may have sent tasks meanwhile;
- a one-off task is disabled as soon as it is sent (django-celery-beat did it on its next full read);
- run times are written without writing back beat's copy of the row over an edit (beat.entry).
Pending run times are written before any row is reread, as django-celery-beat does, so a row's
last run is never lost and no due time is sent twice.
"""

import heapq
import logging
import os
import socket
import time
from datetime import UTC, datetime

from celery.beat import event_t
from django.db import DatabaseError, connections
from django_celery_beat.schedulers import SCHEDULE_SYNC_MAX_INTERVAL
from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler

from tasks_app.beat import changes, heartbeat, lease, shutdown
from tasks_app.beat.entry import ModelEntry

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How often a beat asks for the lease and records its heartbeat: well inside the lease.
CHECK_EVERY_SECONDS = 2.0
# Every row is compared with what was loaded at least this often, changed or not, as
# django-celery-beat rereads every row this often (crontabs enter its hour window, for one).
RECONCILE_EVERY_SECONDS = SCHEDULE_SYNC_MAX_INTERVAL


class DatabaseScheduler(BaseDatabaseScheduler):
    """Scheduling itself is django-celery-beat's; this class decides whether to take part, and
    keeps its schedule and heap in step with the database one changed row at a time."""

    Entry = ModelEntry  # writes only the columns beat owns (beat.entry)

    def __init__(self, *args, **kwargs):
        # The platform names the dyno (beat.1, workerbeat.1); elsewhere the host must do.
        self.node = f"{os.environ.get('DYNO') or socket.gethostname()}:{os.getpid()}"
        self.leading = None  # not known until the first tick asks
        self._last_check = float("-inf")
        self._loaded: dict[str, tuple] = {}  # each loaded row's schedule fields (beat.changes), by name
        self._last_reconcile = time.monotonic()
        self._stop_handlers_installed = False
        self._last_send: tuple[datetime, float] | None = None  # (when, seconds late) for the heartbeat
        super().__init__(*args, **kwargs)

    def setup_schedule(self):
        # The base class remembers the last change only on its first check after the initial
        # read, and that check compares the change with itself: a periodic task saved between
        # beat's start and its first tick was never loaded until something else changed.
        # Remembering it before the initial read closes that window (at worst one extra reload);
        # on a database that has never recorded a change, any change is newer than the epoch.
        self._last_timestamp = self.Changes.last_change() or EPOCH
        super().setup_schedule()
        heartbeat.forget_old_beats()

    # --- reading the schedule --------------------------------------------------------------------

    def enabled_models_qs(self):
        # Each entry reads its `, N times` (beat.entry): in the same query, not one per row.
        return super().enabled_models_qs().select_related("run_limit")

    @property
    def schedule(self):
        if self._initial_read or self._schedule is None:
            self._read_everything()
        elif self.schedule_changed() or time.monotonic() - self._last_reconcile >= RECONCILE_EVERY_SECONDS:
            self._read_changes()
        return self._schedule

    def _read_everything(self):
        self._initial_read = False
        self.sync()  # run times not yet written would be lost with the entries
        schedule, loaded = {}, {}
        fields = changes.schedule_fields(self.enabled_models_qs())
        for model in self.enabled_models():
            try:
                schedule[model.name] = self.Entry(model, app=self.app)
            except ValueError:
                continue
            loaded[model.name] = fields.get(model.name)
        self._schedule, self._loaded = schedule, loaded
        self._last_reconcile = time.monotonic()
        self._heap = None  # Celery's tick rebuilds it from every entry
        logger.debug("beat %s read all %d periodic tasks", self.node, len(schedule))

    def _read_changes(self):
        self._last_reconcile = time.monotonic()
        try:
            current = changes.schedule_fields(self.enabled_models_qs())
        except DatabaseError:
            logger.exception("beat %s could not read the periodic tasks; it keeps the schedule it has", self.node)
            return
        changed, gone = changes.compare(self._loaded, current)
        if not gone and not changed:
            return
        self.sync()  # write pending run times before rereading any row
        fresh = {}
        for model in changes.read_rows(self.enabled_models_qs(), changed):
            try:
                fresh[model.name] = self.Entry(model, app=self.app)
            except ValueError:
                continue
        for name in gone:
            self._schedule.pop(name, None)
            self._loaded.pop(name, None)
        for name in changed:
            if name in fresh:
                self._schedule[name] = fresh[name]
                self._loaded[name] = current[name]
            else:  # disabled or deleted between the two queries: the next change reads it again
                self._schedule.pop(name, None)
                self._loaded.pop(name, None)
        self._patch_heap(set(gone) | set(changed), fresh)
        logger.info("beat %s: %d periodic tasks changed, %d gone", self.node, len(fresh), len(gone))

    def _patch_heap(self, names: set, fresh: dict):
        """Drop the heap's events for `names` and add one for each fresh entry, as populate_heap
        would for them; the others keep theirs."""
        if self._heap is None:
            return  # Celery's tick builds it from every entry anyway
        heap = [event for event in self._heap if event[2].name not in names]
        for entry in fresh.values():
            try:
                is_due, next_call_delay = entry.is_due()
            except Exception:  # one broken entry must not stop beat (Celery's populate_heap does the same)
                is_due, next_call_delay = self._is_due_failed(entry)
            heap.append(event_t(self._when(entry, 0 if is_due else next_call_delay) or 0, 5, entry))
        heapq.heapify(heap)
        self._heap = heap

    def apply_entry(self, entry, producer=None):
        super().apply_entry(entry, producer=producer)
        if entry.model.one_off:
            # django-celery-beat disables a one-off task the next time it looks at its entry,
            # which for a one-off is when it rereads every row; this scheduler rereads only what
            # changed, so it looks at once (the entry's check saves the row disabled).
            entry.is_due()

    def reserve(self, entry):
        # Celery reserves an entry just before sending it, while the entry still holds its previous
        # run: how far past due it is now is how late this send is (0 on time; after beat was down,
        # the time since the first run it missed). Recorded with the heartbeat, for /metrics.
        try:
            late = max(0.0, -entry.schedule.remaining_estimate(entry.last_run_at).total_seconds())
            self._last_send = (datetime.now(UTC), late)
        except Exception:  # a schedule that cannot say must not stop the send
            logger.debug("no lateness for %s", entry.name, exc_info=True)
        return super().reserve(entry)

    def schedules_equal(self, old_schedules, new_schedules):
        # Celery compares every entry with its previous copy on every tick, to know whether to
        # rebuild the heap; this scheduler keeps the heap in step itself and clears it when it
        # reads everything, so the heap is current whenever it exists.
        return self._heap is not None

    # --- taking part ------------------------------------------------------------------------------

    def tick(self, *args, **kwargs):
        if not self._stop_handlers_installed:  # on the first tick: beat's loop is running, in this thread
            shutdown.install()
            self._stop_handlers_installed = True
        shutdown.stop_if_requested()
        now = time.monotonic()
        if now - self._last_check >= CHECK_EVERY_SECONDS:
            self._last_check = now
            self._check_leadership()
        if not self.leading:
            return CHECK_EVERY_SECONDS  # stand by: send nothing, ask again soon
        return min(super().tick(*args, **kwargs), CHECK_EVERY_SECONDS)

    def _check_leadership(self):
        try:
            leading = lease.acquire(self.node)
        except DatabaseError:
            logger.warning("beat %s cannot reach the database; it sends nothing until it can", self.node)
            leading = False
        if leading != self.leading:
            if leading:
                logger.info("beat %s leads: it sends the periodic tasks", self.node)
                # Another beat may have sent tasks while this one stood by: read every row
                # afresh (last run times included) before sending anything.
                self._initial_read = True
            else:
                current = lease.leader()
                holder = current.holder if current else "another beat"
                logger.info("beat %s is not the leader (%s leads): it stands by and sends nothing", self.node, holder)
        self.leading = leading
        # Which schedule change the leader has loaded, for the dashboard (standing by, it loads none).
        seen = self._last_timestamp if leading and self._last_timestamp != EPOCH else None
        heartbeat.record_beat_tick(self.node, is_leader=leading, schedule_seen_at=seen, last_send=self._last_send)

    def close(self):
        super().close()
        if self.leading:
            lease.release(self.node)  # hand over at once rather than after the lease expires
        connections.close_all()  # beat may run in a thread (worker --beat) that outlives it
