"""Tasks written against Django's Tasks framework, not Celery's: `@task` functions, as Django's
documentation teaches them. The catalog offers them beside `echo`, `fetch_url` and `long_task`, so
the form, the API, the CLI, beat and the status pages treat them like any task of the site, and
code calls them as Django says: `sales_report.enqueue(days=3)`, then `sales_report.get_result(id)`.

On Django 6.0+ this is `from django.tasks import task`; on 5.2, `from django_tasks import task`
(the backport). tasks_app.djtasks.compat imports whichever this Django has.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.utils import timezone

from tasks_app.djtasks.compat import task

SALES_REPORT_MAX_DAYS = 60
SECONDS_PER_DAY = 0.5  # the "work": a report of a week takes three and a half seconds


def _sales_of(day) -> dict:
    """The day's figures: made up, but the same every time for the same day."""
    seed = int(hashlib.sha256(day.isoformat().encode()).hexdigest()[:8], 16)
    orders = 20 + seed % 80
    return {"day": day.isoformat(), "orders": orders, "revenue": round(orders * (15 + seed % 1000 / 100), 2)}


@task(queue_name="low")
def sales_report(days: int = 7) -> dict:
    """Summarize the sales of the last few days (half a second a day) and return the report as JSON."""
    today = timezone.localdate()
    by_day = []
    for back in range(days, 0, -1):
        time.sleep(SECONDS_PER_DAY)
        by_day.append(_sales_of(today - timedelta(days=back)))
    return {
        "days": days,
        "orders": sum(day["orders"] for day in by_day),
        "revenue": round(sum(day["revenue"] for day in by_day), 2),
        "by_day": by_day,
    }


@task
def word_count(text: str) -> dict:
    """Count the words and lines of a text."""
    return {"words": len(text.split()), "lines": len(text.splitlines()), "characters": len(text)}
