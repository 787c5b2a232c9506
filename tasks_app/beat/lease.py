"""Only one beat sends: a lease in the database, renewed by its holder as it ticks.

Two beats may run at once (a second beat dyno, workerbeat scaled to two, one-dyno web scaled
to two). Each asks for the lease on every tick; the holder renews it, the others stand by. A
beat that stops cleanly gives the lease up; one that crashes stops renewing, and after
BEAT_LEASE_SECONDS (a setting, 15 by default) the next beat to ask takes over. The database is
the one thing every beat of the site shares whatever the broker, and a conditional UPDATE is
atomic on SQLite and PostgreSQL.
Leases use each host's clock: hosts kept in time by NTP differ by far less than the lease.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tasks_app.models import BeatLease

NAME = "beat"


def acquire(holder: str) -> bool:
    """Take or renew the lease for `holder`; True when `holder` leads."""
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.BEAT_LEASE_SECONDS)
    free_or_ours = Q(holder=holder) | Q(expires_at__lt=now)
    if BeatLease.objects.filter(free_or_ours, name=NAME).update(holder=holder, expires_at=expires_at):
        return True
    try:
        with transaction.atomic():
            BeatLease.objects.create(name=NAME, holder=holder, expires_at=expires_at)
    except IntegrityError:
        return False  # another beat holds it (or took it a moment ago)
    return True


def release(holder: str) -> None:
    """Give the lease up at once, so that a standing-by beat need not wait for it to expire."""
    BeatLease.objects.filter(name=NAME, holder=holder).delete()


def leader() -> BeatLease | None:
    return BeatLease.objects.filter(name=NAME, expires_at__gte=timezone.now()).first()
