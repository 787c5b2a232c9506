"""The failures endpoints: the groups of failed tasks (tasks_app.selectors.failures), and a group's
retry and dismissal (tasks_app.services.failures). The twins of the failures page."""

from __future__ import annotations

from django.http import JsonResponse

from tasks_app import access, services
from tasks_app.api.decorators import api_view, optional_body, task_url
from tasks_app.api.errors import BadRequest
from tasks_app.selectors import failures
from tasks_app.services import failures as actions

FLAGS = {"": False, "false": False, "0": False, "true": True, "1": True}


@api_view("GET", "HEAD")
def failure_list(request):
    """The groups the user may see, latest failure first; `?dismissed=true` includes the dismissed ones."""
    flag = request.GET.get("dismissed", "")
    if flag not in FLAGS:
        raise BadRequest("'dismissed' must be true or false.", "dismissed")
    found = failures.overview(request.user, show_dismissed=FLAGS[flag])
    return JsonResponse(
        {
            "groups": [group.as_json() for group in found.groups],
            "window_days": failures.WINDOW.days,
            "scanned": found.scanned,
            "capped": found.capped,
            "hidden": found.hidden,
        }
    )


@api_view("POST")
def failure_retry(request, group_id):
    """Retry every failed task of the group not retried yet (at most BULK_ACTION_MAX_TASKS a call)."""
    optional_body(request, set())
    done = actions.retry_group(
        failures.find(request.user, group_id), owner=access.owner_of(request), sent_from=services.SentFrom.API
    )
    return JsonResponse(
        {
            "retried": len(done.task_ids),
            "tasks": [{"id": task_id, "url": task_url(task_id)} for task_id in done.task_ids],
            "skipped": done.skipped,
            "more_left": done.more_left,
        },
        status=202,
    )


@api_view("POST", staff=True)
def failure_dismiss(request, group_id):
    """Hide the group (for everyone: staff only) until a failure of it arrives after now."""
    optional_body(request, set())
    group = failures.find(request.user, group_id)
    group.dismissal = actions.dismiss(group, by=request.user)
    return JsonResponse(group.as_json())
