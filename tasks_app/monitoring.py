"""Is anyone there? Workers answer a broadcast ping; beat leaves a heartbeat in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError

from tasks_app.models import BeatHeartbeat

logger = logging.getLogger(__name__)

# Beat's DatabaseScheduler wakes at least every 5 s (its max_interval); a beat that has not
# ticked for three of those is gone.
BEAT_HEARTBEAT_EVERY = timedelta(seconds=5)
BEAT_ALIVE_WITHIN = 3 * BEAT_HEARTBEAT_EVERY


def any_worker_alive(timeout: float = 1.0) -> bool:
    """True as soon as one worker answers a ping; False after `timeout` with no answer."""
    try:
        return bool(current_app.control.ping(timeout=timeout, limit=1))
    except OperationalError:
        return False


def record_beat_tick(node: str) -> None:
    """Called by the beat scheduler; a failed write is logged, never fatal to beat."""
    try:
        BeatHeartbeat.objects.update_or_create(node=node, defaults={"last_tick": timezone.now()})
    except DatabaseError:
        logger.warning("Could not record beat's heartbeat for %s", node, exc_info=True)


def forget_old_beats(older_than: timedelta = timedelta(days=1)) -> None:
    BeatHeartbeat.objects.filter(last_tick__lt=timezone.now() - older_than).delete()


def live_beat() -> BeatHeartbeat | None:
    """The most recent heartbeat, if it is recent enough to mean a beat is running."""
    return (
        BeatHeartbeat.objects.filter(last_tick__gte=timezone.now() - BEAT_ALIVE_WITHIN).order_by("-last_tick").first()
    )
