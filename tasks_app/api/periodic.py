"""The periodic tasks endpoints: list, detail, create, change, delete and run now.

Thin views like those of `api.tasks`: reading needs a login in production,
every change needs staff; services validate and save (schedules are parsed there, never here).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from tasks_app import access, catalog, schedules, services, validation
from tasks_app.api.decorators import SCHEDULE_FIELDS, TASK_FIELDS, api_view, check_fields, json_body, task_url
from tasks_app.api.errors import BadRequest, Forbidden, NotFound
from tasks_app.lib.formats import iso, stored_json
from tasks_app.selectors import pagination
from tasks_app.selectors import periodic as periodic_tasks
from tasks_app.selectors import task_list as listing
from tasks_app.selectors.periodic import site_tasks, summarize, with_run_stats
from tasks_app.states import QUEUED

RECENT_RUNS = 10


def periodic_json(task, next_count: int = 5) -> dict:
    """The periodic task as the API gives it; read through with_run_stats(), with its runs."""
    summary = summarize(task, count=next_count)
    entry = catalog.by_task_name(task.task)
    zone = task.crontab.timezone if task.crontab_id else services.site_time_zone()
    return {
        "id": task.pk,
        "name": task.name,
        "task": entry.name if entry else task.task,
        "args": stored_json(task.args, []),
        "kwargs": stored_json(task.kwargs, {}),
        "queue": catalog.short_queue(task.queue or settings.CELERY_TASK_DEFAULT_QUEUE),
        "schedule": summary.schedule_text,
        "description": summary.description,
        "time_zone": str(zone),
        "enabled": task.enabled,
        "one_off": task.one_off,
        "next_runs": [iso(run) for run in summary.next_runs],
        "runs_left": summary.runs_left,
        # With no beat process (scheduler add-on mode), what a too fine schedule will really do.
        "warnings": [warning] if (warning := _addon_warning(task, summary)) else [],
        "finished": summary.finished,
        # Why its schedule cannot be described (a row written elsewhere); null for every other.
        "error": summary.error,
        # From its runs, as its runs table lists them: django-celery-beat blanks its own last run on
        # every disable. total_run_count is beat's count since the schedule was last set.
        "last_run_at": iso(summary.runs.last),
        "runs": summary.runs.as_json(),
        "total_run_count": task.total_run_count,
        "url": reverse("api-periodic-detail", args=[task.pk]),
        "page": reverse("periodic-detail", args=[task.pk]),
    }


def _addon_warning(task, summary) -> str | None:
    return None if summary.error else services.addon_warning(schedules.from_periodic_task(task))


def _detail_json(task, user) -> dict:
    """The task and its most recent runs (those this user may see: their own, or all for staff)."""
    task = _get(task.pk, user)  # read again with its runs, as saved
    runs = listing.runs(user, task.name, limit=RECENT_RUNS)
    recent = [
        {
            "id": run.task_id,
            "state": run.state,
            "enqueued_at": iso(run.created_at),
            "url": task_url(run.task_id),
        }
        for run in runs
    ]
    return {**periodic_json(task), "recent_runs": recent}


def _require_staff(request) -> None:
    if not access.may_schedule(request.user):
        raise Forbidden("Only staff may schedule or change periodic tasks.")


def _get(pk: int, user):
    # A number past 64 bits would overflow the database driver rather than find nothing.
    found = with_run_stats(site_tasks(), user).filter(pk=pk).first() if pk <= validation.MAX_INTEGER else None
    if found is None:
        raise NotFound(f"No periodic task with id {pk} is known to this site.", "id")
    return found


def create(request, body: dict) -> JsonResponse:
    """Create a periodic task from a body already checked for its fields (here, or by POST /api/tasks/)."""
    _require_staff(request)
    task = services.schedule(
        body["task"],
        body.get("args"),
        body.get("kwargs"),
        body.get("queue"),
        body.get("schedule"),
        body.get("name"),
        owner=access.owner_of(request),
    )
    response = JsonResponse(_detail_json(task, request.user), status=201)
    response["Location"] = reverse("api-periodic-detail", args=[task.pk])
    return response


@api_view("GET", "POST")
def periodic_collection(request):
    if request.method == "POST":
        body = json_body(request)
        check_fields(body, TASK_FIELDS + SCHEDULE_FIELDS, required=("task", "schedule"))
        return create(request, body)
    limit = pagination.limit_from(request.GET.get("limit"))
    page = periodic_tasks.page(request.user, request.GET.get("cursor", ""), limit)
    return JsonResponse(page.linked(request, full_path=True).as_json(periodic_json))


@api_view("GET", "PATCH", "DELETE")
def periodic_item(request, pk: int):
    task = _get(pk, request.user)
    if request.method == "GET":
        return JsonResponse(_detail_json(task, request.user))
    _require_staff(request)
    if request.method == "DELETE":
        services.delete(task)
        return HttpResponse(status=204)
    body = json_body(request)
    check_fields(body, services.CHANGEABLE)
    if not body:
        raise BadRequest(f"Nothing to change; send one or more of: {', '.join(services.CHANGEABLE)}.")
    task = services.change_periodic(task, body)
    return JsonResponse(_detail_json(task, request.user))


@api_view("POST")
def periodic_run(request, pk: int):
    """Send the periodic task's task now, once, besides its schedule."""
    task = _get(pk, request.user)
    _require_staff(request)
    record = services.run_now(task, owner=access.owner_of(request), sent_from=services.SentFrom.API)
    return JsonResponse({"id": record.task_id, "state": QUEUED, "url": task_url(record.task_id)}, status=202)
