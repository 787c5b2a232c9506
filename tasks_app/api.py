"""The JSON API: thin views that parse input, call `services` or `status`, and answer JSON.

Errors are JSON too: `{"error": message, "field": name}` with a 4xx status (503 when the
broker is down), never an HTML page or a stack trace.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tasks_app import access, beat_lease, catalog, cursor, monitoring, schedules, services, status
from tasks_app import task_list as task_list_module
from tasks_app.catalog import TaskInputError
from tasks_app.models import TaskRecord
from tasks_app.ratelimit import RateLimited

TOO_BIG = (
    f"The body is larger than {catalog.MAX_BODY_BYTES // 1024} KiB ({catalog.MAX_BODY_BYTES} bytes), "
    f"the most this API reads; args and kwargs may take {catalog.MAX_ARGUMENTS_BYTES // 1024} KiB each."
)


def too_big(max_bytes: int) -> str:
    if max_bytes == catalog.MAX_BODY_BYTES:
        return TOO_BIG
    return f"The body is larger than {max_bytes // 1024} KiB ({max_bytes} bytes), the most this endpoint reads."


class ApiError(Exception):
    def __init__(self, status_code: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.field = field


def error_response(status_code: int, message: str, field: str | None = None) -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status_code)


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_failure(request) -> str | None:
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def api_view(*methods, public=False, staff=False, max_body_bytes=catalog.MAX_BODY_BYTES):
    """JSON in, JSON out. A user comes from an API token or the session; session users must
    pass CSRF; JSON bodies must say they are JSON. `staff` views refuse other users (403).
    `max_body_bytes` is the largest body the view reads (json_body must be given the same).

    Requiring `Content-Type: application/json` on writes means a page on another site cannot
    post here without a CORS preflight, which this site never grants; with a session, the
    CSRF token is checked as well. A token is not a cookie a browser sends by itself, so
    token requests need no CSRF token.
    """

    def decorator(view):
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                by_token = access.token_user(request)
            except access.BadToken as exc:
                return _unauthorized(str(exc))
            if by_token is not None:
                request.user = by_token
            if not (public or settings.LOCAL_MODE or request.user.is_authenticated):
                return _unauthorized("Log in, or send an API token as 'Authorization: Bearer <token>'.")
            if staff and not access.is_open(request.user):
                return error_response(403, "Only staff may do this.")
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                if request.user.is_authenticated and by_token is None:
                    reason = _csrf_failure(request)
                    if reason:
                        return error_response(403, f"CSRF check failed: {reason}")
                # A DELETE without a body needs no content type: browsers preflight every cross-site
                # DELETE, so the JSON rule (which exists to force a preflight) adds nothing there.
                bodiless_delete = request.method == "DELETE" and not _declared_length(request)
                if request.content_type != "application/json" and not bodiless_delete:
                    return error_response(415, "Send the body as JSON with Content-Type: application/json.")
                if _declared_length(request) > max_body_bytes:
                    return error_response(413, too_big(max_body_bytes))
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.status_code, exc.message, exc.field)
            except TaskInputError as exc:
                return error_response(400, exc.message, exc.field)
            except services.BrokerUnavailable as exc:
                return error_response(503, str(exc))
            except RateLimited as exc:
                response = error_response(429, exc.message)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except RequestDataTooBig:  # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE), should it be lower
                return error_response(413, TOO_BIG)

        return wrapper

    return decorator


def _unauthorized(message: str) -> JsonResponse:
    response = error_response(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def json_body(request, max_bytes: int = catalog.MAX_BODY_BYTES) -> dict:
    # request.body raises RequestDataTooBig (413) beyond DATA_UPLOAD_MAX_MEMORY_SIZE. An endpoint
    # allowed more than that (bulk enqueue) reads the stream itself, one byte past its own cap at most.
    raw = request.read(max_bytes + 1) if max_bytes > catalog.MAX_BODY_BYTES else request.body
    if len(raw) > max_bytes:  # a body sent without an honest Content-Length
        raise ApiError(413, too_big(max_bytes))
    try:
        body = catalog.parse_json(raw or b"null", field=None, subject="The body")
    except TaskInputError as exc:
        raise ApiError(400, exc.message) from None
    if not isinstance(body, dict):
        raise ApiError(400, 'The body must be a JSON object, such as {"task": "echo", "args": ["hi"]}.')
    return body


def task_url(task_id: str) -> str:
    return reverse("api-task-detail", args=[task_id])


TASK_FIELDS = ("task", "args", "kwargs", "queue")
SCHEDULE_FIELDS = ("schedule", "name")


def check_fields(body: dict, allowed: tuple[str, ...], required: tuple[str, ...] = (), where: str = "") -> None:
    """Refuse unknown and missing fields; `where` prefixes field names (`tasks[3].`)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        name = unknown[0]
        if len(allowed) > 1:
            fields = f"the fields are {', '.join(allowed[:-1])} and {allowed[-1]}"
        else:
            fields = f"the only field is {allowed[0]}"
        message = f"Unknown field {catalog.short_repr(name)}; {fields}."
        raise ApiError(400, message, f"{where}{name[:100]}")
    for name in required:
        if name not in body:
            raise ApiError(400, f"The field {name!r} is required.", f"{where}{name}")


@api_view("POST")
def task_create(request):
    """Send a task now; with `schedule` (and optionally `name`), create a periodic task instead."""
    body = json_body(request)
    check_fields(body, TASK_FIELDS + SCHEDULE_FIELDS, required=("task",))
    if "schedule" in body:
        from tasks_app import api_periodic  # it imports this module's helpers

        return api_periodic.create(request, body)
    if "name" in body:
        raise ApiError(400, "A name is only for a periodic task: give a schedule too, or leave the name out.", "name")
    record = services.enqueue(
        body["task"], body.get("args"), body.get("kwargs"), body.get("queue"), owner=access.owner_of(request)
    )
    return JsonResponse(
        {"id": record.task_id, "state": status.QUEUED, "url": task_url(record.task_id)},
        status=202,
    )


@api_view("POST", max_body_bytes=settings.API_BULK_MAX_BODY_BYTES)
def task_bulk_create(request):
    """Send up to API_BULK_MAX_TASKS tasks at once: every one is validated before any is sent,
    and they go to the broker in as few round trips as it allows (services.enqueue_many)."""
    body = json_body(request, max_bytes=settings.API_BULK_MAX_BODY_BYTES)
    check_fields(body, ("tasks",), required=("tasks",))
    specs = body["tasks"]
    limit = settings.API_BULK_MAX_TASKS
    if not isinstance(specs, list) or not specs:
        raise ApiError(
            400, 'The field \'tasks\' must be a non-empty list, such as [{"task": "echo", "args": [1]}].', "tasks"
        )
    if len(specs) > limit:
        raise ApiError(400, f"{len(specs)} tasks in one request; the limit is {limit} (API_BULK_MAX_TASKS).", "tasks")
    for position, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ApiError(
                400, f'Task {position} must be a JSON object, such as {{"task": "echo"}}.', f"tasks[{position}]"
            )
        check_fields(spec, TASK_FIELDS, required=("task",), where=f"tasks[{position}].")
    records = services.enqueue_many(specs, owner=access.owner_of(request))
    return JsonResponse(
        {"tasks": [{"id": record.task_id, "url": task_url(record.task_id)} for record in records]},
        status=202,
    )


@api_view("GET")
def task_detail(request, task_id):
    catalog.check_text(task_id, "id", "The task id", max_chars=255)
    found = status.get(task_id)
    # Another user's task is as unknown as a made-up id: a 403 would confirm that it exists.
    if found is None or not access.may_view_task(request.user, found.owner_id):
        raise ApiError(404, f"No task with id {task_id!r} is known to this site.", "id")
    return JsonResponse(found.as_json())


@api_view("GET")
def schedule_preview(request):
    """What a schedule line means, and its next five runs: the form shows this as a person types."""
    tz = services.site_time_zone()
    text = catalog.check_text(request.GET.get("text", ""), "schedule", "The schedule")
    spec = services.parse_schedule(text)
    return JsonResponse(
        {
            "text": schedules.text_of(spec, tz=tz),
            "description": schedules.describe(spec, tz=tz),
            "time_zone": str(tz),
            "next_runs": [run.isoformat() for run in schedules.next_runs(spec, tz=tz, after=timezone.now(), count=5)],
        }
    )


# Public, like any platform health check: it names no secret (the broker's host, never its password).
@api_view("GET", public=True)
def health(request):
    """Is the broker reachable, which workers consume which queues, is a beat alive and who leads."""
    problem = monitoring.broker_problem()
    beat = monitoring.live_beat()
    lease = beat_lease.leader()
    body = {
        "status": "ok" if problem is None else "broker unreachable",
        "broker": {
            "kind": settings.BROKER.kind,
            "display": settings.BROKER.display,
            "reachable": problem is None,
            "error": redact(problem, settings.BROKER.url) if problem else None,
        },
        "workers": monitoring.workers() if problem is None else {},
        "beat": {
            "alive": beat is not None,
            "last_tick": timezone.localtime(beat.last_tick).isoformat() if beat else None,
            "leader": lease.holder if lease else None,
        },
    }
    return JsonResponse(body, status=200 if problem is None else 503)


def redact(text: str, url: str) -> str:
    """An error message with the broker's password taken out, should a library echo the URL."""
    password = urlsplit(url).password
    return text.replace(password, "********") if password else text


# --- Tasks list, retry, revoke ----------------------------------------------------------------


@csrf_exempt  # each method's own api_view view makes the checks
def tasks_collection(request):
    """`/api/tasks/`: GET lists tasks, POST sends one."""
    return task_list(request) if request.method in ("GET", "HEAD") else task_create(request)


def _list_item(record) -> dict:
    return {
        "id": record.task_id,
        "task": record.task_name,
        "state": record.state,
        "queue": record.queue,
        "periodic_task": record.periodic_task_name or None,
        "retry_of": record.retry_of_id,
        "enqueued_at": timezone.localtime(record.created_at).isoformat(),
        "url": task_url(record.task_id),
    }


@api_view("GET", "HEAD")
def task_list(request):
    """Tasks newest first, with the page's filters; `next`/`previous` are the neighbouring pages'
    URLs, as on every list of this API (null at either end)."""
    filters = task_list_module.parse_filters(request.GET, services.site_time_zone())
    size = task_list_module.page_size(request.GET.get("limit"))
    records = task_list_module.apply(access.visible_tasks(request.user, TaskRecord.objects.all()), filters)
    page = task_list_module.page(records, request.GET.get("cursor", ""), size)
    return JsonResponse(
        {
            "results": [_list_item(record) for record in page.records],
            "next": cursor.page_url(request, page.older_cursor),
            "previous": cursor.page_url(request, page.newer_cursor),
        }
    )


def _visible_task_id(request, task_id: str) -> str:
    """The task's id if this user may act on it; 404 otherwise (another user's task is as
    unknown as a made-up id)."""
    try:
        record = services.find_record(task_id)
    except services.TaskNotFound as exc:
        raise ApiError(404, exc.message, exc.field) from None
    if not access.may_view_task(request.user, record.owner_id):
        raise ApiError(404, services.TaskNotFound(task_id).message, "id")
    return record.task_id


def _action_body(request, allowed: set) -> dict:
    body = json_body(request) if request.body else {}
    unknown = sorted(set(body) - allowed)
    if unknown:
        fields = " and ".join(sorted(allowed)) or "none"
        message = f"Unknown field {catalog.short_repr(unknown[0])}; the fields are {fields}."
        raise ApiError(400, message, unknown[0][:100])
    return body


@api_view("POST")
def task_retry(request, task_id):
    """Run a finished task again with its exact args, kwargs and queue, as a new task."""
    task_id = _visible_task_id(request, task_id)
    _action_body(request, set())
    try:
        record = services.retry(task_id, owner=access.owner_of(request))
    except services.TaskStateConflict as exc:
        raise ApiError(409, exc.message, exc.field) from None
    return JsonResponse(
        {"id": record.task_id, "state": status.QUEUED, "retry_of": task_id, "url": task_url(record.task_id)},
        status=202,
    )


@api_view("POST")
def task_revoke(request, task_id):
    """Revoke a queued or running task; `{"terminate": true}` also kills it if it is running."""
    task_id = _visible_task_id(request, task_id)
    body = _action_body(request, {"terminate"})
    try:
        revocation = services.revoke(task_id, terminate=body.get("terminate", False))
    except services.TaskStateConflict as exc:
        raise ApiError(409, exc.message, exc.field) from None
    return JsonResponse(
        {
            "id": task_id,
            "state": "REVOKED",
            "previous_state": revocation.previous_state,
            "terminate": revocation.terminate,
            "workers_told": revocation.workers_told,
            "url": task_url(task_id),
        }
    )
