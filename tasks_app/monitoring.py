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

# Beat records a heartbeat every couple of seconds (tasks_app.scheduler); one silent for
# this long has stopped.
BEAT_ALIVE_WITHIN = timedelta(seconds=15)


# Remote control gets a connection of its own: through the app's pool it would take the pool's
# connection and then wait for a second one to publish with, which with the pool of one that
# CloudAMQP advises never comes.


def any_worker_alive(timeout: float = 1.0) -> bool:
    """True as soon as one worker answers a ping; False after `timeout` with no answer."""
    try:
        with current_app.connection_for_write() as connection:
            return bool(current_app.control.ping(timeout=timeout, limit=1, connection=connection))
    except OperationalError:
        return False


def record_beat_tick(node: str, is_leader: bool, schedule_seen_at=None) -> None:
    """Called by the beat scheduler; a failed write is logged, never fatal to beat."""
    try:
        BeatHeartbeat.objects.update_or_create(
            node=node,
            defaults={"last_tick": timezone.now(), "is_leader": is_leader, "schedule_seen_at": schedule_seen_at},
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


def broker_problem(timeout: float = 3.0) -> str | None:
    """None when the broker accepts a connection within `timeout`, else what went wrong."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # any failure to connect is the answer, whatever its class
        return f"{exc.__class__.__name__}: {exc}"
    return None


def workers(timeout: float = 1.0) -> dict[str, list[str]]:
    """Each live worker's node name and the queues it consumes."""
    try:
        with current_app.connection_for_write() as connection:
            replies = current_app.control.inspect(timeout=timeout, connection=connection).active_queues() or {}
    except OperationalError:
        return {}
    return {node: sorted(queue["name"] for queue in queues) for node, queues in sorted(replies.items())}
