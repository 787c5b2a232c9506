"""Retry all failed and revoke all queued or running tasks a tasks-list filter selects, or only the
rows ticked on the list (`?ids=...`, several): a confirmation page that states the count and the
filters, then the action."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tasks_app import access, services
from tasks_app.errors import UserError
from tasks_app.selectors import filters
from tasks_app.selectors import task_list as listing

# verb, its past tense (said after the action), the tasks it acts on, how to pick them.
ACTIONS = {
    "retry": ("Retry", "Retried", "failed", services.retryable),
    "revoke": ("Revoke", "Revoked", "queued or running", services.revocable),
}


@require_http_methods(["GET", "POST"])
def bulk_action(request, action):
    verb, done_verb, which, among = ACTIONS[action]
    given = {name: request.GET[name] for name in filters.FIELDS if request.GET.get(name, "").strip()}
    back = reverse("task-list") + (f"?{urlencode(given)}" if given else "")
    try:
        selected, chosen = _selected(request)
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if request.method == "GET":
        count, more = services.count_up_to(among(selected))
        context = {"verb": verb, "which": which, "action": action, "count": count, "more": more, "filters": given}
        context.update(back=back, chosen=chosen)
        return render(request, "tasks_app/bulk_confirm.html", context)
    try:
        if action == "retry":
            done = services.retry_failed(selected, owner=access.owner_of(request), sent_from=services.SentFrom.FORM)
        else:
            done = services.revoke_unfinished(selected, terminate=request.POST.get("terminate") == "on")
    except UserError as exc:
        messages.error(request, f"{access.error_text(exc, request.user)} Nothing was {done_verb.lower()}.")
        return redirect(back)
    for line in done.summary(done_verb, which):
        messages.info(request, line)
    if chosen and len(chosen) > len(done.task_ids):
        left = len(chosen) - len(done.task_ids)
        verb = "was" if left == 1 else "were"
        messages.info(request, f"{left} of the {len(chosen)} chosen tasks {verb} not {which}.")
    return redirect(back)


def _selected(request):
    """The tasks the filters select, narrowed to the ticked ones (`ids`) when any were ticked, and those."""
    cleaned = filters.parse(request.GET, services.site_time_zone())
    if "ids" not in request.GET and "chosen" not in request.GET:  # `chosen`: sent by the list's own buttons
        return listing.selected(request.user, cleaned), None
    if not request.GET.getlist("ids"):  # the buttons pressed with no row ticked: never "all" instead
        raise UserError("Tick the tasks to act on first.", field="ids")
    chosen = listing.chosen_ids(request.GET.getlist("ids"))
    return listing.chosen(request.user, chosen, cleaned), chosen
