"""The periodic tasks pages: the list, one task with its next runs and its runs, and the staff's
edit, enable, disable, run now and delete."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_celery_beat.models import PeriodicTask

from tasks_app import access, catalog, services
from tasks_app.errors import UserError
from tasks_app.forms import PeriodicForm, run_form_url, task_examples
from tasks_app.lib.formats import stored_json
from tasks_app.selectors import pagination, periodic
from tasks_app.selectors import task_list as listing
from tasks_app.selectors.periodic import summarize
from tasks_app.views.home import TASKS_PER_PAGE, warn_if_nobody_will_run_it

RUNS_COUNTED = 1000  # the detail page counts its runs up to this many (1,000+ beyond)


def periodic_list(request):
    page, error = pagination.linked_page(request, partial(periodic.page, request.user))
    context = {"summaries": page.map(summarize), "error": error}
    return render(request, "tasks_app/periodic_list.html", context, status=400 if error else 200)


def periodic_detail(request, pk):
    task = get_object_or_404(periodic.with_run_stats(periodic.site_tasks(), request.user, RUNS_COUNTED), pk=pk)
    runs, error = pagination.linked_page(request, partial(listing.runs, request.user, task.name, limit=TASKS_PER_PAGE))
    summary = summarize(task, count=5, runs_cap=RUNS_COUNTED)
    context = {
        "summary": summary,
        "runs": runs,
        "error": error,
        # Enable is offered only where it can give the task runs (services.finished_reason).
        "finished_reason": None if task.enabled else services.finished_reason(task),
        "clone_url": _clone_url(task, summary.schedule_text),
    }
    return render(request, "tasks_app/periodic_detail.html", context, status=400 if error else 200)


def _clone_url(task: PeriodicTask, schedule_text: str) -> str:
    args, kwargs = stored_json(task.args, []), stored_json(task.kwargs, {})
    return run_form_url(
        reverse("home"), task.task, args, kwargs, task.queue, schedule=schedule_text, name=f"{task.name} (copy)"
    )


@access.staff_required
@require_http_methods(["GET", "POST"])
def periodic_edit(request, pk):
    """The task form, filled in from a periodic task; saving changes that task (services.change_periodic),
    which keeps its runs."""
    task = get_object_or_404(periodic.site_tasks(), pk=pk)
    if catalog.by_task_name(task.task) is None:  # written in the admin: the form could not show it
        messages.error(request, f"{task.task!r} is not a task this site runs; change {task.name} in the admin.")
        return redirect("periodic-detail", pk=pk)
    summary = summarize(task)
    form = PeriodicForm(
        request.POST or None,
        periodic=task,
        schedule_text=summary.schedule_text,
        finished=None if task.enabled else services.finished_reason(task),
    )
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.change_periodic(task, changes)
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            restarted = " Its schedule changed, so its count of runs starts again." if "schedule" in changes else ""
            messages.success(request, f"Saved {task.name}.{restarted}")
            return redirect("periodic-detail", pk=pk)
    context = {"form": form, "task": task, "examples": task_examples()}
    return render(request, "tasks_app/periodic_edit.html", context, status=400 if form.errors else 200)


@access.staff_required
@require_POST
def periodic_enable(request, pk, enabled):
    task = get_object_or_404(PeriodicTask, pk=pk)
    try:
        services.set_enabled(task, enabled)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{task.name} is {'enabled' if enabled else 'disabled'}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("periodic-detail", args=[pk])
    return redirect(back)


# verb, what follows (the heading asks the question), and the way back, named for what it keeps.
CONFIRMABLE = {
    "run": ("Run now", "A worker runs it once, now, besides its schedule.", "Back, without running it"),
    "delete": ("Delete", "Its schedule stops; the runs it made stay in the task list.", "Keep it"),
}


@access.staff_required
@require_http_methods(["GET", "POST"])
def periodic_confirm(request, pk, action):
    if action not in CONFIRMABLE:
        raise Http404("No such action.")
    task = get_object_or_404(PeriodicTask, pk=pk)
    if request.method == "GET":
        verb, question, keep_label = CONFIRMABLE[action]
        context = {"task": task, "verb": verb, "question": question, "keep_label": keep_label, "action": action}
        return render(request, "tasks_app/periodic_confirm.html", context)
    if action == "delete":
        services.delete(task)
        messages.success(request, f"Deleted {task.name}.")
        return redirect("periodic-list")
    try:
        record = services.run_now(task, owner=access.owner_of(request), sent_from=services.SentFrom.FORM)
    except UserError as exc:
        messages.error(request, access.error_text(exc, request.user))
        return redirect("periodic-detail", pk=pk)
    warn_if_nobody_will_run_it(request, scheduled=False)
    return redirect("task-status", task_id=record.task_id)
