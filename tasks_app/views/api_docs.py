"""GET /api/: the API's own page, every endpoint with `curl` examples that work against this site.

tests/api/test_api_docs.py runs every example on the page against a real site and worker, so the
page cannot drift from the API.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from tasks_app import catalog
from tasks_app.http import bulk_limits
from tasks_app.states import FINISHED_STATES, STATES
from tasks_app.validation import TaskInputError


def _unknown_queue_error() -> str:
    """The API's answer to a queue it does not know, as the page quotes it: the words the code gives."""
    name = "urgent"
    while name in catalog.queues():  # a site may name a queue so
        name += "-x"
    try:
        catalog.queue_name(name)
    except TaskInputError as exc:
        return json.dumps({"error": exc.message, "field": exc.field})
    return ""


def page(request):
    context = {
        # The examples name this site, as the visitor reached it, so they can be pasted as they are.
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        # In production every example needs a token; locally none does.
        "auth": "" if settings.LOCAL_MODE else ' -H "Authorization: Bearer $API_TOKEN"',
        "bulk_max_tasks": bulk_limits.most_tasks(),
        "bulk_max_kib": bulk_limits.body_cap(bulk_limits.most_tasks()) // 1024,
        "bulk_governed_by": bulk_limits.governing_limit(),
        "rate_limits": settings.RATE_LIMITS_PER_MINUTE,
        "bulk_action_max": settings.BULK_ACTION_MAX_TASKS,
        "export_max_rows": f"{settings.TASK_EXPORT_MAX_ROWS:,}",
        # Every list of names is read from the catalog, the settings and the states, never written out.
        "task_names": catalog.names(),
        "queue_names": catalog.queues(),
        "states": STATES,
        "finished_states": [state for state in STATES if state in FINISHED_STATES],
        "unknown_queue_error": _unknown_queue_error(),
        # Example dates computed from today, so that every example is valid whenever it is read.
        "today": f"{timezone.localdate():%Y-%m-%d}",
        "tomorrow": f"{timezone.localdate() + timedelta(days=1):%Y-%m-%d}",
    }
    return render(request, "tasks_app/api_docs.html", context)


def explorer(request):
    """Swagger UI on /api/openapi.json, from the site's own static files: it works with no internet."""
    return render(request, "tasks_app/api_explorer.html")
