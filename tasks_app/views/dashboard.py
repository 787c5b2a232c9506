"""The dashboard page and the staff-only purge: thin views over tasks_app.selectors.dashboard and
tasks_app.services.queue_purge (the JSON twin is tasks_app.api.system.dashboard_api)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tasks_app import access
from tasks_app.selectors import dashboard, task_stats
from tasks_app.selectors import workers as worker_reads
from tasks_app.services import lost, queue_purge

REFRESH_SECONDS = 5


@require_GET
def dashboard_page(request):
    """The page; with `?fragment=1`, only its body, which static/dashboard.js fetches to refresh
    itself: one template draws the page whether first shown or refreshed."""
    context = {
        "dash": dashboard.collect(request.user),
        "may_purge": access.is_open(request.user),
        "refresh_seconds": REFRESH_SECONDS,
        # Worker control is staff only: who did what to which worker, the latest few.
        "worker_actions": worker_reads.recent_actions(limit=5) if access.is_open(request.user) else [],
        # Staff only: the figures cover every user's tasks and the slowest runs name them.
        "stats": task_stats.collect() if access.is_open(request.user) else None,
    }
    if request.GET.get("fragment") == "1":
        return render(request, "tasks_app/_dashboard_body.html", context)
    return render(request, "tasks_app/dashboard.html", context)


def _who(request) -> str:
    return request.user.get_username() if request.user.is_authenticated else "the local user"


@access.staff_required
@require_http_methods(["GET", "POST"])
def purge_confirm(request, queue):
    if queue not in settings.QUEUES:
        raise Http404("No such queue.")
    if request.method == "GET":
        state = queue_purge.waiting(queue)
        return render(request, "tasks_app/dashboard_purge_confirm.html", {"queue": state})
    try:
        purged = queue_purge.purge(queue, by=_who(request))
    except Exception as exc:  # the broker, whatever failed: say so instead of a 500
        messages.error(request, f"Could not empty {settings.QUEUES[queue]}: {exc.__class__.__name__}: {exc}")
        return redirect("dashboard")
    messages.success(
        request,
        f"Dropped {purged.dropped} task{'' if purged.dropped == 1 else 's'} from {purged.queue}; "
        "each one's status page says it was dropped.",
    )
    if purged.more_left:
        most_tasks, most_seconds = queue_purge.limits()
        messages.warning(
            request,
            f"{purged.queue} may hold more tasks: one purge stops after {most_tasks} tasks or "
            f"{most_seconds:g} seconds. Empty it again to drop the rest.",
        )
    return redirect("dashboard")


@access.staff_required
@require_http_methods(["GET", "POST"])
def lost_confirm(request):
    """Mark lost the tasks recorded as queued that the broker no longer holds (services.lost)."""
    if request.method == "GET":
        found = dashboard.collect(request.user).possibly_lost
        return render(request, "tasks_app/dashboard_lost_confirm.html", {"lost": found, "grace": lost.GRACE})
    try:
        marked = lost.mark_lost(by=_who(request))
    except Exception as exc:  # the broker, whatever failed: say so instead of a 500
        messages.error(request, f"Could not check the queues: {access.error_text(exc, request.user)}")
        return redirect("dashboard")
    messages.success(
        request,
        f"Marked {marked} task{'' if marked == 1 else 's'} lost; each one's status page says why, "
        "and Retry all failed can send them again.",
    )
    return redirect("dashboard")
