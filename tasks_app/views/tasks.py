"""Pages about tasks: the tasks list, one task's status page, and retry and revoke with a confirmation step."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from celery import states
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tasks_app import access, catalog, services
from tasks_app.errors import UserError
from tasks_app.forms import run_form_url
from tasks_app.selectors import export, filters
from tasks_app.selectors import task_list as listing
from tasks_app.selectors.periodic import site_tasks
from tasks_app.states import STATES, WAITING_STATES

PERIODIC_SUGGESTIONS = 200  # the names the periodic filter suggests
REFRESH_SECONDS = 5  # how often the open list's first page asks for its rows again, as the dashboard does


@require_http_methods(["GET", "HEAD"])
def task_list(request):
    """The list; with `?fragment=1`, only the first page's rows, which static/task_list.js fetches to
    follow new tasks and state changes in place (one template draws the rows either way)."""
    given = {name: request.GET[name].strip() for name in filters.FIELDS if request.GET.get(name, "").strip()}
    if "queue" in given:  # carried on by the export links and the chosen-rows form: shown by its short name
        given["queue"] = catalog.short_queue(given["queue"])
    context = {
        "states": STATES,
        "task_names": sorted(catalog.ENTRIES),
        "queues": list(settings.QUEUES),
        "values": {name: request.GET.get(name, "") for name in filters.FIELDS},
        "error": None,
        "page": None,
        "given": given,
        "given_query": urlencode(given),
        "export_max_rows": export.max_rows(),
        "refresh_seconds": REFRESH_SECONDS,
    }
    try:
        cleaned = filters.parse(request.GET, services.site_time_zone())
        page = listing.page(request.user, cleaned, request.GET.get("cursor", ""))
    except UserError as exc:
        context["error"] = exc
        return render(request, "tasks_app/task_list.html", context, status=400)
    if cleaned.get("queue"):  # `helloworld.default` in the query string selects `default` in the form
        context["values"]["queue"] = catalog.short_queue(cleaned["queue"])
    context.update(page=page.linked(request, keep=filters.FIELDS), filtered=any(cleaned.values()))
    if request.GET.get("fragment") == "1":
        return render(request, "tasks_app/_task_list_rows.html", context)
    context.update(
        periodic_names=site_tasks().order_by("name").values_list("name", flat=True)[:PERIODIC_SUGGESTIONS],
        live=not request.GET.get("cursor"),  # only the first page follows: older pages stay as they are
    )
    return render(request, "tasks_app/task_list.html", context)


# The confirmation pages: the heading asks ("Revoke echo?"), the text says what follows, and the
# way back says what it keeps, so that it cannot be read as cancelling the task.
ACTIONS = {
    "retry": ("Retry", "It runs again as a new task, with the same arguments and queue ({queue})."),
    "revoke": (
        "Revoke",
        "If it has not started it never will; if it is running, it finishes this run unless you also terminate it.",
    ),
    # Revoke on a running task whose revocation was requested already: only terminating adds anything.
    "terminate": (
        "Terminate",
        "Its revocation was requested, so it will not run again, but this run goes on until it finishes; "
        "terminating kills its worker process mid-run.",
    ),
}


def _keep_label(action, running) -> str:
    if action == "retry":
        return "Back, without retrying"
    return "Keep it running" if running else "Keep it queued"


def _confirm(request, task_id, action):
    found = access.visible_task(request.user, task_id, recorded=True)
    if found is None:
        return None, render(request, "tasks_app/task_unknown.html", {"task_id": task_id}, status=404)
    if request.method == "GET":
        allowed = found.finished if action == "retry" else not found.finished
        running = found.state not in WAITING_STATES
        if action == "revoke" and running and found.revoke_requested_at:
            action = "terminate"
        verb, question = ACTIONS[action]
        context = {
            "status": found,
            "verb": verb,
            "question": question.format(queue=found.queue or "default"),
            "action": action,
            "allowed": allowed,
            "running": running,
            "keep_label": _keep_label(action, running),
            "retryable": services.retryable_in_words(),
        }
        return None, render(request, "tasks_app/task_confirm.html", context, status=200 if allowed else 409)
    return found, None


@require_http_methods(["GET", "POST"])
def task_retry(request, task_id):
    found, response = _confirm(request, task_id, "retry")
    if response:
        return response
    try:
        record = services.retry(found.task_id, owner=access.owner_of(request), sent_from=services.SentFrom.FORM)
    except UserError as exc:
        messages.error(request, access.error_text(exc, request.user))
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
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("task-status", task_id=found.task_id)
    text = revocation.summary
    if not revocation.workers_told:
        text += " The broker could not be reached to tell the workers; the task will still not run."
    messages.success(request, text)
    return redirect("task-status", task_id=found.task_id)


def task_status(request, task_id):
    found = access.visible_task(request.user, task_id)
    if found is None:
        return render(request, "tasks_app/task_unknown.html", {"task_id": task_id}, status=404)
    # Only a task that reports progress shows a bar (an echo at 100% tells nothing).
    reports_progress = bool(found.progress) or getattr(catalog.ENTRIES.get(found.task_name), "reports_progress", False)
    context = {
        "status": found,
        "reports_progress": reports_progress,
        "show_progress": bool(found.progress) or (reports_progress and found.state == states.SUCCESS),
        # ensure_ascii=False: the page shows "café" as sent, not "caf\u00e9" (autoescaping still applies).
        "args_json": json.dumps(found.args, ensure_ascii=False),
        "kwargs_json": json.dumps(found.kwargs, ensure_ascii=False),
        "result_json": json.dumps(found.result, indent=2, ensure_ascii=False),
        "run_again_url": run_form_url(reverse("home"), found.task_name, found.args, found.kwargs, found.queue),
    }
    return render(request, "tasks_app/task_status.html", context)
