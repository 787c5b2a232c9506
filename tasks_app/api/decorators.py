"""What every JSON endpoint shares: the view decorator (authentication, CSRF, content type, body
size, errors as JSON), the error type, body parsing, field checks, and links to tasks.

Errors are JSON: `{"error": message, "field": name}` with a 4xx status (503 when the broker is
down, or the database busy or unreachable), never an HTML page or a stack trace.
"""

from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tasks_app import access, services, validation
from tasks_app.http import unavailable
from tasks_app.ratelimit import RateLimited
from tasks_app.validation import TaskInputError

logger = logging.getLogger(__name__)

TOO_BIG = (
    f"The body is larger than {validation.MAX_BODY_BYTES // 1024} KiB ({validation.MAX_BODY_BYTES} bytes), "
    f"the most this API reads; args and kwargs may take {validation.MAX_ARGUMENTS_BYTES // 1024} KiB each."
)


def too_big(max_bytes: int) -> str:
    if max_bytes == validation.MAX_BODY_BYTES:
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


def database_unavailable() -> JsonResponse:
    response = error_response(503, unavailable.MESSAGE)
    response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_failure(request) -> str | None:
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def api_view(*methods, public=False, staff=False, max_body_bytes=validation.MAX_BODY_BYTES):
    """JSON in, JSON out. A user comes from an API token or the session; session users must
    pass CSRF; JSON bodies must say they are JSON. `staff` views refuse other users (403).
    `max_body_bytes` is the largest body the view reads (json_body must be given the same).

    Requiring `Content-Type: application/json` on writes means a page on another site cannot
    post here without a CORS preflight, which this site never grants; with a session, the
    CSRF token is checked as well. A token is not a cookie a browser sends by itself, so
    token requests need no CSRF token.
    """

    def decorator(view):
        @login_not_required  # authenticated here, answering 401 in JSON rather than redirecting
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return checked(request, *args, **kwargs)
            except unavailable.DATABASE_ERRORS as exc:  # a bound ran out, or no connection (token, session, view)
                logger.warning("503 for %s %s: %s", request.method, request.path[:200], str(exc).strip()[:300])
                return database_unavailable()

        def checked(request, *args, **kwargs):
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
                if _chunked(request):
                    return error_response(
                        411,
                        "Send the body with a Content-Length header: this API does not read chunked bodies "
                        "(Transfer-Encoding: chunked).",
                    )
                # A request without a body needs no content type (`curl -X POST .../retry/`), unless a
                # browser sent it from another site: there the JSON rule is what forces a preflight.
                bodiless = not declared_length(request) and not _from_another_site(request)
                if request.content_type != "application/json" and not bodiless:
                    return error_response(415, "Send the body as JSON with Content-Type: application/json.")
                if declared_length(request) > max_body_bytes:
                    return error_response(413, too_big(max_body_bytes))
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.status_code, exc.message, exc.field)
            except services.TaskStateConflict as exc:  # the input is fine; the task's state forbids it
                return error_response(409, exc.message, exc.field)
            except TaskInputError as exc:
                return error_response(400, exc.message, exc.field)
            except services.BrokerUnavailable as exc:
                return error_response(503, access.error_text(exc, request.user))
            except RateLimited as exc:
                response = error_response(429, exc.message)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except RequestDataTooBig:  # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE), should it be lower
                return error_response(413, TOO_BIG)

        return wrapper

    return decorator


def _from_another_site(request) -> bool:
    """Did a browser send this from a page of another site? Browsers name the page's origin on
    every cross-origin POST and DELETE; scripts such as curl send no Origin at all."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return request.META.get("HTTP_SEC_FETCH_SITE") in ("cross-site", "same-site")
    return origin == "null" or urlsplit(origin).netloc != request.get_host()


def _unauthorized(message: str) -> JsonResponse:
    response = error_response(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def json_body(request, max_bytes: int = validation.MAX_BODY_BYTES) -> dict:
    # request.body raises RequestDataTooBig (413) beyond DATA_UPLOAD_MAX_MEMORY_SIZE. An endpoint
    # allowed more than that (bulk enqueue) reads the stream itself, one byte past its own cap at most.
    raw = request.read(max_bytes + 1) if max_bytes > validation.MAX_BODY_BYTES else request.body
    if len(raw) > max_bytes:  # a body sent without an honest Content-Length
        raise ApiError(413, too_big(max_bytes))
    try:
        body = validation.parse_json(raw or b"null", field=None, subject="The body")
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
        message = f"Unknown field {validation.short_repr(name)}; {fields}."
        raise ApiError(400, message, f"{where}{name[:100]}")
    for name in required:
        if name not in body:
            raise ApiError(400, f"The field {name!r} is required.", f"{where}{name}")


def _chunked(request) -> bool:
    """A body sent in chunks with no Content-Length: refused (411), because the API decides from the
    declared length, before reading a byte, whether a body fits its limits (and WSGI, under the
    test client or another server, would give Django such a body as empty)."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")
