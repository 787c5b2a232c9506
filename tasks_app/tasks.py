"""The tasks themselves. Each stays thin and calls a library module for the real work."""

import time

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from tasks_app.djtasks.runner import run_django_task  # noqa: F401  registers it: runs django.tasks tasks
from tasks_app.lib import safe_http
from tasks_app.states import PROGRESS
from tasks_app.worker import restarts  # its signal: a restarted task says so
from tasks_app.worker.revocation import SiteTask


@shared_task(base=SiteTask)
def echo(value):
    """Return the value it was given, unchanged."""
    return value


@shared_task(bind=True, base=SiteTask)
def fetch_url(self, url: str) -> dict:
    """Download a URL and report its status, final URL, content type and size."""
    attempt = self.request.retries + 1
    max_attempts = settings.FETCH_URL_MAX_RETRIES + 1
    # Stored with each state this attempt writes (django-celery-results keeps request.meta), so
    # the status page can say which attempt this is and what the earlier ones ran into.
    meta = getattr(self.request, "meta", None) or {}
    errors, starts = list(meta.get("errors", [])), restarts.attempt_starts(meta)
    self.request.meta = {"attempt": attempt, "max_attempts": max_attempts, "errors": errors, "starts": starts}
    try:
        summary = safe_http.fetch(
            url,
            timeout=settings.FETCH_URL_TIMEOUT,
            deadline=settings.FETCH_URL_DEADLINE,
            max_bytes=settings.FETCH_URL_MAX_BYTES,
        )
    except safe_http.NetworkError as exc:
        # Celery's autoretry_for, spelled out: it fixes its backoff when the task is defined,
        # and these settings are read at each attempt. Refusals (FetchError) fail at once.
        errors.append(str(exc))
        self.request.meta = {"attempt": attempt, "max_attempts": max_attempts, "errors": errors, "starts": starts}
        countdown = get_exponential_backoff_interval(
            factor=settings.FETCH_URL_RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=settings.FETCH_URL_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(
            exc=exc,
            countdown=countdown,
            max_retries=settings.FETCH_URL_MAX_RETRIES,
            # The next attempt's request carries the errors so far (a message header).
            headers={
                **(self.request.headers or {}),
                "meta": {"attempt": attempt + 1, "max_attempts": max_attempts, "errors": errors, "starts": starts},
            },
        ) from exc
    except safe_http.FetchError as exc:
        # A refusal is refused again on every attempt: this one is the last, and the page says so.
        self.request.meta = {
            "attempt": attempt,
            "max_attempts": attempt,
            "errors": errors,
            "starts": starts,
            "not_retried": True,
        }
        raise safe_http.FetchError(safe_http.explained(exc, settings.LOCAL_MODE)) from None
    return summary.as_dict()


@shared_task(bind=True, base=SiteTask, track_restarts=True)  # worker.restarts: "attempt 2" after a cut-off run
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
