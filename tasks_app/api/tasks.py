"""The tasks endpoints: send one or many, list, read one, retry, revoke. Thin views that parse
input, call `services` or `status`, and answer JSON."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tasks_app import access, ratelimit, services, validation
from tasks_app.api import periodic
from tasks_app.api.decorators import (
    SCHEDULE_FIELDS,
    TASK_FIELDS,
    api_view,
    check_fields,
    declared_length,
    json_body,
    optional_body,
    task_url,
)
from tasks_app.api.errors import BadRequest
from tasks_app.http import bulk_limits
from tasks_app.selectors import export, filters, pagination
from tasks_app.selectors import task_list as listing
from tasks_app.states import QUEUED


@api_view("POST")
def task_create(request):
    """Send a task now; with `schedule` (and optionally `name`), create a periodic task instead."""
    body = json_body(request)
    check_fields(body, TASK_FIELDS + SCHEDULE_FIELDS, required=("task",))
    if "schedule" in body:
        return periodic.create(request, body)
    if "name" in body:
        raise BadRequest("A name is only for a periodic task: give a schedule too, or leave the name out.", "name")
    record = services.enqueue(
        body["task"],
        body.get("args"),
        body.get("kwargs"),
        body.get("queue"),
        owner=access.owner_of(request),
        sent_from=services.SentFrom.API,
    )
    return JsonResponse(
        {"id": record.task_id, "state": QUEUED, "url": task_url(record.task_id)},
        status=202,
    )


@api_view("POST", max_body_bytes=settings.API_BULK_MAX_BODY_BYTES)
def task_bulk_create(request):
    """Send up to bulk_limits.most_tasks() tasks at once: every one is validated before any is sent,
    and they go to the broker in as few round trips as it allows (services.enqueue_many)."""
    # Refused before the body is read when it cannot fit what this user has left (a 429) or may ever
    # send in one request (a 413); refused before it is validated when it holds more tasks than that.
    bulk_limits.admit(request.user, declared_length(request))
    body = json_body(request, max_bytes=settings.API_BULK_MAX_BODY_BYTES)
    check_fields(body, ("tasks",), required=("tasks",))
    specs = body["tasks"]
    limit = settings.API_BULK_MAX_TASKS
    if not isinstance(specs, list) or not specs:
        raise BadRequest(
            'The field \'tasks\' must be a non-empty list, such as [{"task": "echo", "args": [1]}].', "tasks"
        )
    if len(specs) > limit:
        raise BadRequest(f"{len(specs)} tasks in one request; the limit is {limit} (API_BULK_MAX_TASKS).", "tasks")
    ratelimit.check(request.user, "enqueue", cost=len(specs))
    for position, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise BadRequest(
                f'Task {position} must be a JSON object, such as {{"task": "echo"}}.', f"tasks[{position}]"
            )
        check_fields(spec, TASK_FIELDS, required=("task",), where=f"tasks[{position}].")
    records = services.enqueue_many(specs, owner=access.owner_of(request), sent_from=services.SentFrom.API)
    return JsonResponse(
        {"tasks": [{"id": record.task_id, "url": task_url(record.task_id)} for record in records]},
        status=202,
    )


@api_view("GET")
def task_detail(request, task_id):
    validation.check_text(task_id, "id", "The task id", max_chars=255)  # a 400 for an id no task could have
    found = access.visible_task(request.user, task_id)
    if found is None:
        raise services.TaskNotFound(task_id)
    return JsonResponse(found.as_json())


@login_not_required  # each method's own api_view makes the checks
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])  # its 405's Allow names both views' methods
def tasks_collection(request):
    """`/api/tasks/`: GET lists tasks, POST sends one."""
    return task_list(request) if request.method in ("GET", "HEAD") else task_create(request)


def _list_item(record) -> dict:
    return {**export.row(record), "url": task_url(record.task_id)}


@api_view("GET", "HEAD")
def task_list(request):
    """Tasks newest first, with the page's filters; `next`/`previous` are the neighbouring pages'
    URLs, as on every list of this API (null at either end)."""
    cleaned = filters.parse(request.GET, services.site_time_zone())
    limit = pagination.limit_from(request.GET.get("limit"))
    page = listing.page(request.user, cleaned, request.GET.get("cursor", ""), limit)
    return JsonResponse(page.linked(request, full_path=True).as_json(_list_item))


def _visible_task_id(request, task_id: str) -> str:
    """The task's id if this user may act on it; 404 otherwise."""
    found = access.visible_task(request.user, task_id, recorded=True)
    if found is None:
        raise services.TaskNotFound(task_id)
    return found.task_id


@api_view("POST")
def retry_all(request):
    """Retry every failed task the list's filters (in the query string) select, not retried yet:
    at most BULK_ACTION_MAX_TASKS, oldest first; `more_left` says whether to call again. With
    `{"ids": [...]}`, only the failed ones among those tasks (the others are counted as skipped)."""
    records, chosen = _selected(request, optional_body(request, {"ids"}))
    done = services.retry_failed(records, owner=access.owner_of(request), sent_from=services.SentFrom.API)
    return JsonResponse(
        {
            "retried": len(done.task_ids),
            "tasks": [{"id": task_id, "url": task_url(task_id)} for task_id in done.task_ids],
            "skipped": _skipped(done, chosen),
            "more_left": done.more_left,
        },
        status=202,
    )


@api_view("POST")
def revoke_all(request):
    """Revoke every queued or running task the list's filters (in the query string) select;
    `{"terminate": true}` also kills the running ones. At most BULK_ACTION_MAX_TASKS a call. With
    `{"ids": [...]}`, only the queued or running ones among those tasks."""
    body = optional_body(request, {"terminate", "ids"})
    terminate = body.get("terminate", False)
    if not isinstance(terminate, bool):
        raise BadRequest("'terminate' must be true or false.", "terminate")
    records, chosen = _selected(request, body)
    done = services.revoke_unfinished(records, terminate=terminate)
    return JsonResponse(
        {
            "revoked": len(done.task_ids),
            "ids": done.task_ids,
            "skipped": _skipped(done, chosen),
            "more_left": done.more_left,
            "workers_told": done.workers_told,
        }
    )


def _skipped(done, chosen: list[str] | None) -> int:
    """Chosen tasks not acted on (not failed, not unfinished, not this user's, unknown); else the bulk count."""
    return done.skipped if chosen is None else len(chosen) - len(done.task_ids)


def _selected(request, body: dict):
    """The tasks the filters select, narrowed to the body's `ids` when it lists some (and those ids)."""
    cleaned = filters.parse(request.GET, services.site_time_zone())
    if "ids" not in body:
        return listing.selected(request.user, cleaned), None
    chosen = listing.chosen_ids(body["ids"])
    return listing.chosen(request.user, chosen, cleaned), chosen


@api_view("POST")
def task_retry(request, task_id):
    """Run a finished task again with its exact args, kwargs and queue, as a new task."""
    task_id = _visible_task_id(request, task_id)
    optional_body(request, set())
    # A 409 if not finished (api_view).
    record = services.retry(task_id, owner=access.owner_of(request), sent_from=services.SentFrom.API)
    return JsonResponse(
        {"id": record.task_id, "state": QUEUED, "retry_of": task_id, "url": task_url(record.task_id)},
        status=202,
    )


@api_view("POST")
def task_revoke(request, task_id):
    """Revoke a queued or running task; `{"terminate": true}` also kills it if it is running."""
    task_id = _visible_task_id(request, task_id)
    body = optional_body(request, {"terminate"})
    revocation = services.revoke(task_id, terminate=body.get("terminate", False))  # 409 if finished
    return JsonResponse(
        {
            "id": task_id,
            "state": revocation.state,
            "previous_state": revocation.previous_state,
            "revocation": revocation.summary,
            "terminate": revocation.terminate,
            "workers_told": revocation.workers_told,
            "url": task_url(task_id),
        }
    )
