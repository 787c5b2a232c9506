"""The failures page: failed tasks grouped by cause (tasks_app.selectors.failures), each group's own
page with its tasks, and its two actions: retry (after a confirmation page) and dismiss (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tasks_app import access, services
from tasks_app.errors import UserError
from tasks_app.selectors import failures, pagination
from tasks_app.services import failures as actions


def _shown(request) -> bool:
    return request.GET.get("dismissed") == "1"


def _group_or_404(request, group_id):
    try:
        return failures.find(request.user, group_id), None
    except failures.GroupNotFound as exc:
        return None, render(request, "tasks_app/failure_unknown.html", {"error": exc}, status=404)


@require_http_methods(["GET", "HEAD"])
def failure_list(request):
    show_dismissed = _shown(request)
    context = {
        "overview": failures.overview(request.user, show_dismissed=show_dismissed),
        "show_dismissed": show_dismissed,
        "may_dismiss": access.is_open(request.user),
        "window_days": failures.WINDOW.days,
        "scan_max": failures.SCAN_MAX,
    }
    return render(request, "tasks_app/failure_list.html", context)


@require_http_methods(["GET", "HEAD"])
def failure_group(request, group_id):
    group, missing = _group_or_404(request, group_id)
    if missing:
        return missing
    page, error = pagination.linked_page(request, lambda cursor: failures.tasks_page(group, cursor))
    context = {"group": group, "page": page, "error": error, "may_dismiss": access.is_open(request.user)}
    return render(request, "tasks_app/failure_group.html", context)


@require_http_methods(["GET", "POST"])
def failure_retry(request, group_id):
    """GET: how many tasks a retry sends, and a button; POST: the retry (services.failures.retry_group)."""
    group, missing = _group_or_404(request, group_id)
    if missing:
        return missing
    back = reverse("failure-list")
    if request.method == "GET":
        count, more = actions.retryable_count(group)
        context = {"group": group, "count": count, "more": more, "back": back}
        return render(request, "tasks_app/failure_retry_confirm.html", context)
    try:
        done = actions.retry_group(group, owner=access.owner_of(request), sent_from=services.SentFrom.FORM)
    except UserError as exc:
        messages.error(request, f"{access.error_text(exc, request.user)} Nothing was retried.")
        return redirect(back)
    for line in done.summary("Retried", "failed"):
        messages.info(request, line)
    return redirect(back)


@require_POST
def failure_dismiss(request, group_id):
    """Staff only: a dismissal hides the group from everyone until a new failure of it arrives."""
    if not access.is_open(request.user):
        raise PermissionDenied("Only staff may dismiss a group of failures.")
    group, missing = _group_or_404(request, group_id)
    if missing:
        return missing
    actions.dismiss(group, by=request.user)
    messages.info(
        request,
        f"Dismissed {group.count} failure{'' if group.count == 1 else 's'} of {group.task_name} "
        f"({group.exception}). The group comes back if it fails again.",
    )
    return redirect("failure-list")
