"""The home page: the task form (run now or schedule), recent tasks and the periodic tasks."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tasks_app import access, services
from tasks_app.beat import heartbeat
from tasks_app.broker import control
from tasks_app.errors import UserError
from tasks_app.forms import TaskForm, run_form_initial, task_examples
from tasks_app.ratelimit import RateLimited
from tasks_app.selectors import pagination, periodic
from tasks_app.selectors import task_list as listing
from tasks_app.selectors.periodic import summarize

TASKS_PER_PAGE = 20


def warn_if_nobody_will_run_it(request, scheduled: bool) -> None:
    if not control.any_worker_alive():
        messages.warning(
            request,
            "No worker is running right now. The task is queued and will run when a worker starts "
            "(make run starts one; on the platform: heroku ps:scale worker=1).",
        )
    if scheduled and not settings.SCHEDULER_ADDON_INTERVAL and heartbeat.live_beat() is None:
        messages.warning(
            request,
            "No beat is running right now, so nothing will be sent on schedule until one starts "
            "(make run starts one; on the platform: heroku ps:scale beat=1).",
        )


@require_http_methods(["GET", "POST"])
def home(request):
    # A GET may carry values to fill the form in with ("Run again with changes…", "Clone").
    initial = {} if request.method == "POST" else run_form_initial(request.GET)
    form = TaskForm(request.POST or None, initial=initial, may_schedule=access.may_schedule(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            return _send(request, form)
        except UserError as exc:
            return _refused(request, form, exc)
    context = _home_context(request, form)
    return render(request, "tasks_app/home.html", context, status=400 if form.errors or context["error"] else 200)


def _refused(request, form, exc: UserError):
    """The form again with the refusal: bad input on its field (400); a rate limit (429, with
    Retry-After) or a broker that is down (503) above the form, saying that nothing was saved."""
    if isinstance(exc, RateLimited):
        form.add_error(None, f"{exc.message} Nothing was saved.")
        status = 429
    elif isinstance(exc, services.BrokerUnavailable):
        form.add_error(None, f"{access.error_text(exc, request.user)} Nothing was saved; try again in a moment.")
        status = 503
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        status = 400
    response = render(request, "tasks_app/home.html", _home_context(request, form), status=status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _send(request, form):
    """Send the valid form's task now, or schedule it; a redirect to what was made."""
    data = form.cleaned_data
    owner = access.owner_of(request)
    if not form.is_scheduled:
        record = services.enqueue(
            data["task"], data["args"], data["kwargs"], data["queue"], owner=owner, sent_from=services.SentFrom.FORM
        )
        warn_if_nobody_will_run_it(request, scheduled=False)
        return redirect("task-status", task_id=record.task_id)
    task = services.schedule(
        data["task"], data["args"], data["kwargs"], data["queue"], data["schedule"], data["name"], owner=owner
    )
    warn_if_nobody_will_run_it(request, scheduled=True)
    if warning := services.addon_warning(data["schedule_spec"]):
        messages.warning(request, warning)
    return redirect("periodic-detail", pk=task.pk)


def _home_context(request, form):
    recent, error = pagination.linked_page(request, partial(listing.page, request.user, None, limit=TASKS_PER_PAGE))
    return {
        "form": form,
        "examples": task_examples(),
        "recent": recent,
        "error": error,
        # The first few by name; /periodic/ pages through them all.
        "periodic": periodic.page(request.user, limit=periodic.HOME_LIMIT).map(summarize),
    }
