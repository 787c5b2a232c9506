"""Pages about tasks: the tasks list, one task's status page, and retry and revoke with a confirmation step."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_celery_beat.models import PeriodicTask

from tasks_app import access, catalog, services, status, validation
from tasks_app import task_list as listing
from tasks_app.models import TaskRecord
from tasks_app.ratelimit import RateLimited
from tasks_app.validation import TaskInputError


@require_http_methods(["GET", "HEAD"])
def task_list(request):
    records = access.visible_tasks(request.user, TaskRecord.objects.all())
    context = {
        "states": listing.STATES,
        "task_names": sorted(catalog.ENTRIES),
        "queues": list(settings.QUEUES),
        "values": {name: request.GET.get(name, "") for name in listing.FILTER_FIELDS},
        "error": None,
        "page": None,
    }
    try:
        filters = listing.parse_filters(request.GET, services.site_time_zone())
        page = listing.page(listing.apply(records, filters), request.GET.get("cursor", ""))
    except TaskInputError as exc:
        context["error"] = exc
        return render(request, "tasks_app/task_list.html", context, status=400)
    context.update(
        page=page,
        periodic_names=PeriodicTask.objects.exclude(task="celery.backend_cleanup")
        .order_by("name")
        .values_list("name", flat=True)[:200],
        newer_url=_page_url(filters, page.newer_cursor),
        older_url=_page_url(filters, page.older_cursor),
        filtered=bool(filters),
    )
    return render(request, "tasks_app/task_list.html", context)


def _page_url(filters: listing.Filters, cursor: str | None) -> str | None:
    return "?" + urlencode({**filters.params, "cursor": cursor}) if cursor else None


def _visible(request, task_id):
    """The task's status if this user may act on it, else None (a 404 like an unknown id)."""
    try:
        record = services.find_record(task_id)
    except services.TaskNotFound:
        return None
    if not access.may_view_task(request.user, record.owner_id):
        return None
    return status.get(record.task_id)


ACTIONS = {
    "retry": (
        "Retry",
        "Run {task} again as a new task, with the same arguments and queue ({queue})?",
    ),
    "revoke": (
        "Revoke",
        "Revoke {task}? If it has not started it never will; if it is running, it finishes this run "
        "unless you also terminate it.",
    ),
}


def _confirm(request, task_id, action):
    found = _visible(request, task_id)
    if found is None:
        return None, render(request, "tasks_app/task_unknown.html", {"task_id": task_id}, status=404)
    if request.method == "GET":
        verb, question = ACTIONS[action]
        allowed = found.finished if action == "retry" else not found.finished
        context = {
            "status": found,
            "verb": verb,
            "question": question.format(task=f"{found.task_name} {found.task_id}", queue=found.queue or "default"),
            "action": action,
            "allowed": allowed,
            "running": found.state not in (status.QUEUED, "RETRY"),
        }
        return None, render(request, "tasks_app/task_confirm.html", context, status=200 if allowed else 409)
    return found, None


@require_http_methods(["GET", "POST"])
def task_retry(request, task_id):
    found, response = _confirm(request, task_id, "retry")
    if response:
        return response
    try:
        record = services.retry(found.task_id, owner=access.owner_of(request))
    except (TaskInputError, services.BrokerUnavailable, RateLimited) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("task-status", task_id=found.task_id)
    messages.success(request, f"Retrying {found.task_id} as this new task.")
    return redirect("task-status", task_id=record.task_id)


@require_http_methods(["GET", "POST"])
def task_revoke(request, task_id):
    found, response = _confirm(request, task_id, "revoke")
    if response:
        return response
    terminate = request.POST.get("terminate") == "on"
    try:
        revocation = services.revoke(found.task_id, terminate=terminate)
    except TaskInputError as exc:
        messages.error(request, exc.message)
        return redirect("task-status", task_id=found.task_id)
    if terminate:
        text = "Revoked and terminated."
    elif revocation.previous_state in (status.QUEUED, "RETRY"):
        text = "Revoked: it will not run."
    else:
        text = "Revoked: it finishes the run it is in (its outcome will replace REVOKED) and never runs again."
    if not revocation.workers_told:
        text += " The broker could not be reached to tell the workers; the task will still not run."
    messages.success(request, text)
    return redirect("task-status", task_id=found.task_id)


def task_status(request, task_id):
    try:
        validation.check_text(task_id, "id", "The task id", max_chars=255)
    except validation.TaskInputError:
        found = None  # not an id this site could have made (a NUL would upset PostgreSQL)
    else:
        found = status.get(task_id)
    # Another user's task is as unknown as a made-up id: a 403 would confirm that it exists.
    if found is None or not access.may_view_task(request.user, found.owner_id):
        return render(request, "tasks_app/task_unknown.html", {"task_id": task_id}, status=404)
    context = {
        "status": found,
        "args_json": json.dumps(found.args),
        "kwargs_json": json.dumps(found.kwargs),
        "result_json": json.dumps(found.result, indent=2),
    }
    return render(request, "tasks_app/task_status.html", context)
