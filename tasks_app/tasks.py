"""The tasks themselves. Each stays thin and calls a library module for the real work."""

import time

from celery import shared_task
from django.conf import settings

from tasks_app import safe_http
from tasks_app.revocation import SiteTask

# The custom state a task reports while it runs; status pages show its percent and message.
PROGRESS = "PROGRESS"


@shared_task(base=SiteTask)
def echo(value):
    """Return the value it was given, unchanged."""
    return value


@shared_task(base=SiteTask)
def fetch_url(url: str) -> dict:
    """Download a URL and report its status, final URL, content type and size."""
    summary = safe_http.fetch(
        url,
        timeout=settings.FETCH_URL_TIMEOUT,
        deadline=settings.FETCH_URL_DEADLINE,
        max_bytes=settings.FETCH_URL_MAX_BYTES,
    )
    return summary.as_dict()


@shared_task(bind=True, base=SiteTask)
def long_task(self, seconds: int = 10) -> dict:
    """Work for a number of seconds, reporting progress as it goes."""
    steps = max(1, min(seconds * 4, 100))  # several updates a second, at most a hundred
    for step in range(1, steps + 1):
        time.sleep(seconds / steps)
        self.update_state(
            state=PROGRESS,
            meta={"percent": round(100 * step / steps), "message": f"Step {step} of {steps}"},
        )
    return {"seconds": seconds, "steps": steps}
