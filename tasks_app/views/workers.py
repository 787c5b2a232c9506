"""The workers pages, staff only: every worker, one worker's tasks, pool, queues and rate limits, and
the control commands sent to it (thin views over tasks_app.selectors.workers and
tasks_app.services.worker_control; the JSON twin is tasks_app.api.workers)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tasks_app import access, catalog
from tasks_app.errors import UserError
from tasks_app.selectors import workers
from tasks_app.services import worker_control

LEVELS = {"ok": messages.SUCCESS, "error": messages.ERROR, "no reply": messages.WARNING}


def _who(request) -> str:
    return request.user.get_username() if request.user.is_authenticated else "the local user"


@access.staff_required
@require_GET
def worker_list(request):
    context = {"workers": workers.listed(), "actions": workers.recent_actions()}
    return render(request, "tasks_app/workers.html", context)


@access.staff_required
@require_GET
def worker_detail(request, name):
    context = {
        "worker": workers.detail(name),
        "actions": workers.recent_actions(name),
        "queues": list(settings.QUEUES),
        "task_names": catalog.names(),
        "reply_seconds": worker_control.REPLY_SECONDS,
    }
    return render(request, "tasks_app/worker_detail.html", context)


@access.staff_required
@require_POST
def worker_action(request, name, action):
    """Send one command; a destructive one (cancel_consumer, shutdown) is first shown to confirm."""
    arguments = {key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "confirmed")}
    try:
        worker_control.check(action, arguments)
        if action in worker_control.DESTRUCTIVE and request.POST.get("confirmed") != "yes":
            context = {"name": name, "action": action, "arguments": arguments}
            return render(request, "tasks_app/worker_confirm.html", context)
        outcome = worker_control.send(name, action, arguments, by=_who(request))
    except UserError as exc:
        messages.error(request, access.error_text(exc, request.user))
        return redirect("worker-detail", name)
    words = {"ok": "answered", "error": "refused", "no reply": "gave no answer"}[outcome.outcome]
    messages.add_message(request, LEVELS[outcome.outcome], f"{action} — {name} {words}: {outcome.reply}")
    return redirect("worker-detail", name)
