"""Is a beat running? Each beat records a heartbeat in the database as it ticks; pages, health and
the dashboard read the latest one."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone

from tasks_app.models import BeatHeartbeat

logger = logging.getLogger(__name__)

# Beat records a heartbeat every couple of seconds (beat.scheduler); one silent for this long has stopped.
BEAT_ALIVE_WITHIN = timedelta(seconds=15)


def record_beat_tick(node: str, is_leader: bool, schedule_seen_at=None, last_send=None) -> None:
    """Called by the beat scheduler; a failed write is logged, never fatal to beat. `last_send` is
    (when, seconds late) of the latest periodic task this beat sent, or None if it sent none."""
    sent_at, lateness = last_send or (None, None)
    try:
        BeatHeartbeat.objects.update_or_create(
            node=node,
            defaults={
                "last_tick": timezone.now(),
                "is_leader": is_leader,
                "schedule_seen_at": schedule_seen_at,
                "last_send_at": sent_at,
                "last_send_lateness": lateness,
            },
        )
    except DatabaseError:
        logger.warning("Could not record beat's heartbeat for %s", node, exc_info=True)


def forget_old_beats(older_than: timedelta = timedelta(days=1)) -> None:
    BeatHeartbeat.objects.filter(last_tick__lt=timezone.now() - older_than).delete()


def live_beat() -> BeatHeartbeat | None:
    """The most recent heartbeat, if it is recent enough to mean a beat is running."""
    return (
        BeatHeartbeat.objects.filter(last_tick__gte=timezone.now() - BEAT_ALIVE_WITHIN).order_by("-last_tick").first()
    )
