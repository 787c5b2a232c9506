"""What every JSON endpoint shares: small decorators, one concern each (errors as JSON,
authentication, staff, CSRF, Content-Length, content type, body size), `api_view` that stacks them,
and body parsing, field checks, and links to tasks.

Errors are JSON (tasks_app.api.errors): `{"error": message, "field": name}` with a 4xx status (503
when the broker is down, or the database busy or unreachable), never an HTML page or a stack trace.
"""

from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tasks_app import access, validation
from tasks_app.api import errors
from tasks_app.errors import UserError
from tasks_app.http import unavailable

logger = logging.getLogger(__name__)

TOO_BIG = (
    f"The body is larger than {validation.MAX_BODY_BYTES // 1024} KiB ({validation.MAX_BODY_BYTES} bytes), "
    f"the most this API reads; args and kwargs may take {validation.MAX_ARGUMENTS_BYTES // 1024} KiB each."
)


def too_big(max_bytes: int) -> str:
    if max_bytes == validation.MAX_BODY_BYTES:
        return TOO_BIG
    return f"The body is larger than {max_bytes // 1024} KiB ({max_bytes} bytes), the most this endpoint reads."


def api_view(*methods, public=False, staff=False, max_body_bytes=validation.MAX_BODY_BYTES):
    """JSON in, JSON out: the decorators below, outermost first. A user comes from an API token or
    the session; session users must pass CSRF; JSON bodies must say they are JSON. `staff` views
    refuse other users (403). `max_body_bytes` is the largest body the view reads (json_body must be
    given the same).

    Requiring `Content-Type: application/json` on writes means a page on another site cannot
    post here without a CORS preflight, which this site never grants; with a session, the
    CSRF token is checked as well. A token is not a cookie a browser sends by itself, so
    token requests need no CSRF token.
    """
    layers = [json_errors, authenticate(public)]  # outermost first: every refusal below answers as JSON
    if staff:
        layers.append(staff_only)
    layers += [csrf_for_sessions, length_required, json_content, body_limit(max_body_bytes)]

    def decorator(view):
        for layer in reversed(layers):
            view = layer(view)
        # login_not_required: authenticate answers 401 in JSON rather than redirecting.
        return login_not_required(csrf_exempt(require_http_methods(list(methods))(view)))

    return decorator


def json_errors(view):
    """Every UserError raised inside, as JSON with its status (errors.STATUSES). A database that does
    not answer (for the token, the session or the view) is a 503 with Retry-After."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            try:
                return view(request, *args, **kwargs)
            except RequestDataTooBig:  # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE), should it be lower
                return errors.response_for(errors.TooLarge(TOO_BIG), request.user)
            except UserError as exc:
                return errors.response_for(exc, request.user)
        except unavailable.DATABASE_ERRORS as exc:  # a bound ran out, or no connection
            logger.warning("503 for %s %s: %s", request.method, request.path[:200], str(exc).strip()[:300])
            return errors.database_unavailable()

    return wrapper


def authenticate(public: bool = False):
    """The user from an API token, else from the session; none is a 401 unless the view is `public`
    (or the site runs in local mode). `request.by_token` tells the checks inside which it was."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            by_token = access.token_user(request)  # BadToken (a 401) for a header that names no token
            if by_token is not None:
                request.user = by_token
            request.by_token = by_token is not None
            if not (public or settings.LOCAL_MODE or request.user.is_authenticated):
                raise errors.Unauthorized("Log in, or send an API token as 'Authorization: Bearer <token>'.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_only(view):
    """Staff only (everyone in local mode): others are refused (403). Inside `authenticate`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.is_open(request.user):
            raise errors.Forbidden("Only staff may do this.")
        return view(request, *args, **kwargs)

    return wrapper


def _writes(check):
    """A decorator that runs `check(request)` before the view on writes (not GET, HEAD or OPTIONS)."""

    @wraps(check)
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@_writes
def csrf_for_sessions(request) -> None:
    """A session-authenticated write must carry the CSRF token (a token-authenticated one need not)."""
    if request.user.is_authenticated and not request.by_token:
        reason = _csrf_failure(request)
        if reason:
            raise errors.Forbidden(f"CSRF check failed: {reason}")


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_failure(request) -> str | None:
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


@_writes
def length_required(request) -> None:
    """A body sent in chunks with no Content-Length: refused (411), because the API decides from the
    declared length, before reading a byte, whether a body fits its limits (and WSGI, under the
    test client or another server, would give Django such a body as empty)."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if "chunked" in encoding and not request.META.get("CONTENT_LENGTH"):
        raise errors.LengthRequired(
            "Send the body with a Content-Length header: this API does not read chunked bodies "
            "(Transfer-Encoding: chunked)."
        )


@_writes
def json_content(request) -> None:
    """A body must say it is JSON. A request without a body needs no content type (`curl -X POST
    .../retry/`), unless a browser sent it from another site: there the JSON rule is what forces a preflight."""
    bodiless = not declared_length(request) and not _from_another_site(request)
    if request.content_type != "application/json" and not bodiless:
        raise errors.UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")


def body_limit(max_bytes: int):
    """A declared body larger than the view reads: refused (413) before a byte of it is read."""

    @_writes
    def check(request) -> None:
        if declared_length(request) > max_bytes:
            raise errors.TooLarge(too_big(max_bytes))

    return check


def _from_another_site(request) -> bool:
    """Did a browser send this from a page of another site? Browsers name the page's origin on
    every cross-origin POST and DELETE; scripts such as curl send no Origin at all."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return request.META.get("HTTP_SEC_FETCH_SITE") in ("cross-site", "same-site")
    return origin == "null" or urlsplit(origin).netloc != request.get_host()


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
        raise errors.TooLarge(too_big(max_bytes))
    try:
        body = validation.parse_json(raw or b"null", field=None, subject="The body")
    except validation.TaskInputError as exc:
        raise errors.BadRequest(exc.message) from None
    if not isinstance(body, dict):
        raise errors.BadRequest('The body must be a JSON object, such as {"task": "echo", "args": ["hi"]}.')
    return body


def task_url(task_id: str) -> str:
    return reverse("api-task-detail", args=[task_id])


TASK_FIELDS = ("task", "args", "kwargs", "queue")
SCHEDULE_FIELDS = ("schedule", "name")


def optional_body(request, allowed: set) -> dict:
    """An action's JSON body, which may be empty: {} then; an unknown field is refused (400)."""
    body = json_body(request) if request.body else {}
    unknown = sorted(set(body) - allowed)
    if unknown:
        fields = " and ".join(sorted(allowed)) or "none"
        message = f"Unknown field {validation.short_repr(unknown[0])}; the fields are {fields}."
        raise errors.BadRequest(message, unknown[0][:100])
    return body


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
        raise errors.BadRequest(message, f"{where}{name[:100]}")
    for name in required:
        if name not in body:
            raise errors.BadRequest(f"The field {name!r} is required.", f"{where}{name}")
