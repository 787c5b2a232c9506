"""The tasks themselves. Each stays thin and calls a library module for the real work."""

from celery import shared_task
from django.conf import settings

from tasks_app import safe_http


@shared_task
def echo(value):
    """Return the value it was given, unchanged."""
    return value


@shared_task
def fetch_url(url: str) -> dict:
    """Download a URL and report its status, final URL, content type and size."""
    summary = safe_http.fetch(
        url,
        timeout=settings.FETCH_URL_TIMEOUT,
        deadline=settings.FETCH_URL_DEADLINE,
        max_bytes=settings.FETCH_URL_MAX_BYTES,
    )
    return summary.as_dict()
