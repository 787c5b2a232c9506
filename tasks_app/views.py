"""Pages: thin views that parse input, call `services`, `status` or `periodic`, and render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_celery_beat.models import PeriodicTask

from tasks_app import access, catalog, monitoring, periodic, services, status
from tasks_app.forms import TaskForm
from tasks_app.models import TaskRecord
from tasks_app.ratelimit import RateLimited

TASKS_PER_PAGE = 20


def _recent_tasks(request):
    records = access.visible_tasks(request.user, TaskRecord.objects.all())
    page = Paginator(records, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    found = status.states(record.task_id for record in page)
    for record in page:
        record.state = found[record.task_id]
    return page


def _warn_if_nobody_will_run_it(request, scheduled: bool) -> None:
    if not monitoring.any_worker_alive():
        messages.warning(
            request,
            "No worker is running right now. The task is queued and will run when a worker starts "
            "(make run starts one; on the platform: heroku ps:scale worker=1).",
        )
    if scheduled and monitoring.live_beat() is None:
        messages.warning(
            request,
            "No beat is running right now, so nothing will be sent on schedule until one starts "
            "(make run starts one; on the platform: heroku ps:scale beat=1).",
        )


@access.login_required
@require_http_methods(["GET", "POST"])
def home(request):
    form = TaskForm(request.POST or None, may_schedule=access.may_schedule(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = access.owner_of(request)
        try:
            if form.is_scheduled:
                task = services.schedule(
                    data["task"],
                    data["args"],
                    data["kwargs"],
                    data["queue"],
                    data["schedule"],
                    data["name"],
                    owner=owner,
                )
                _warn_if_nobody_will_run_it(request, scheduled=True)
                return redirect("periodic-detail", pk=task.pk)
            record = services.enqueue(data["task"], data["args"], data["kwargs"], data["queue"], owner=owner)
            _warn_if_nobody_will_run_it(request, scheduled=False)
            return redirect("task-status", task_id=record.task_id)
        except catalog.TaskInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except services.BrokerUnavailable as exc:
            form.add_error(None, f"{exc} Nothing was saved; try again in a moment.")
            return render(request, "tasks_app/home.html", _home_context(request, form), status=503)
        except RateLimited as exc:
            form.add_error(None, f"{exc.message} Nothing was saved.")
            response = render(request, "tasks_app/home.html", _home_context(request, form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
    return render(request, "tasks_app/home.html", _home_context(request, form), status=400 if form.errors else 200)


def _periodic_tasks():
    """The site's periodic tasks (not Celery's own result cleanup), with their schedule rows in
    the same query: summarizing each reads its crontab, interval or clocked row."""
    return (
        PeriodicTask.objects.exclude(task="celery.backend_cleanup")
        .select_related("crontab", "interval", "clocked")
        .order_by("name")
    )


def _home_context(request, form):
    return {
        "form": form,
        "examples": {
            entry.name: {"args": entry.example_args, "kwargs": entry.example_kwargs, "queue": entry.queue}
            for entry in catalog.ENTRIES.values()
        },
        "recent": _recent_tasks(request),
        "periodic": [periodic.summarize(task) for task in _periodic_tasks()],
    }


@access.login_required
def task_status(request, task_id):
    try:
        catalog.check_text(task_id, "id", "The task id", max_chars=255)
    except catalog.TaskInputError:
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


@access.login_required
def periodic_list(request):
    summaries = [periodic.summarize(task) for task in _periodic_tasks()]
    return render(request, "tasks_app/periodic_list.html", {"summaries": summaries})


@access.login_required
def periodic_detail(request, pk):
    task = get_object_or_404(PeriodicTask, pk=pk)
    runs = access.visible_tasks(request.user, TaskRecord.objects.filter(periodic_task_name=task.name))
    runs = Paginator(runs, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    found = status.states(record.task_id for record in runs)
    for record in runs:
        record.state = found[record.task_id]
    context = {"summary": periodic.summarize(task, count=5), "runs": runs}
    return render(request, "tasks_app/periodic_detail.html", context)


@access.staff_required
@require_POST
def periodic_enable(request, pk, enabled):
    task = get_object_or_404(PeriodicTask, pk=pk)
    services.set_enabled(task, enabled)
    messages.success(request, f"{task.name} is {'enabled' if enabled else 'disabled'}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("periodic-detail", args=[pk])
    return redirect(back)


CONFIRMABLE = {
    "run": ("Run now", "Send {name} to a worker now, once, besides its schedule?"),
    "delete": ("Delete", "Delete {name}? Its schedule stops; the runs it made stay in the task list."),
}


@access.staff_required
@require_http_methods(["GET", "POST"])
def periodic_confirm(request, pk, action):
    if action not in CONFIRMABLE:
        raise Http404("No such action.")
    task = get_object_or_404(PeriodicTask, pk=pk)
    if request.method == "GET":
        verb, question = CONFIRMABLE[action]
        context = {"task": task, "verb": verb, "question": question.format(name=task.name), "action": action}
        return render(request, "tasks_app/periodic_confirm.html", context)
    if action == "delete":
        services.delete(task)
        messages.success(request, f"Deleted {task.name}.")
        return redirect("periodic-list")
    try:
        record = services.run_now(task, owner=access.owner_of(request))
    except (catalog.TaskInputError, services.BrokerUnavailable, RateLimited) as exc:
        messages.error(request, str(exc))
        return redirect("periodic-detail", pk=pk)
    _warn_if_nobody_will_run_it(request, scheduled=False)
    return redirect("task-status", task_id=record.task_id)
