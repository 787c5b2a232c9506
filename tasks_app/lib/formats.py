"""How the site writes a time in JSON, and reads back the JSON text that a library stored.

One of each, for the API, the dashboard and the broker's snapshot alike: the same moment is
written the same way wherever it is shown.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone


def iso(moment: datetime | None) -> str | None:
    """A time as the JSON API gives it: ISO 8601 in the site's zone, offset included (unambiguous, and
    the wall time a page shows); None for none."""
    return timezone.localtime(moment).isoformat() if moment else None


def duration_text(seconds: float) -> str:
    """A duration as a person reads it: 12 ms, 1.25 s, 3 min 5 s, 2 h 5 min."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def stored_json(text: str | None, default):
    """Args or kwargs that a library stored as JSON text (django-celery-beat's PeriodicTask, a worker's
    view in django-celery-results' row): `default` for none, and text that is not JSON (written by hand
    in the admin) as it is, for a page to show and Entry.bind to refuse."""
    try:
        return json.loads(text) if text else default
    except ValueError:
        return text
