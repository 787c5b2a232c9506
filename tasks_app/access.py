"""Who may do what, in one place.

Production: every page and endpoint but health and the login page needs a logged-in user
(Django's LoginRequiredMiddleware, here switched off in local mode); scheduling and acting
on periodic tasks need staff; a task is visible to the user who started it and to staff.
Local mode (`make run`, HELLOWORLD_LOCAL=1) is one person's machine: everyone may do everything.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tasks_app.errors import UserError

HIDDEN_WORKER = "a worker (staff see which)"


def is_open(user) -> bool:
    """May this user see and do everything? True for staff, and for anyone in local mode."""
    return settings.LOCAL_MODE or (user.is_authenticated and user.is_staff)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's: every view needs a logged-in user unless it is marked `login_not_required` (the
    login page, health, the API's views, which answer 401 in JSON themselves); in local mode, none does."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A view open to all (health, the API, which checks tokens itself) does not read the session here:
        # Django's asks for the user first, which made anonymous health wait on a locked session table.
        if settings.LOCAL_MODE or not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def staff_required(view):
    """Staff only (a 403 page for other users), except in local mode. Anonymous visitors never get
    here: LoginRequiredMiddleware sends them to the login page first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.LOCAL_MODE and not request.user.is_staff:
            raise PermissionDenied("Only staff may schedule or change periodic tasks.")
        return view(request, *args, **kwargs)

    return wrapper


def error_text(exc: UserError, user) -> str:
    """What a refusal says to this user: a broker error's own words (they name its host and port) only
    to staff and in local mode. The user is asked only when there are such words: the session may sit
    in a database that does not answer."""
    return exc.text_for(bool(exc.detail) and is_open(user))


def may_schedule(user) -> bool:
    return is_open(user)


def owner_of(request):
    """The user to record as a task's owner: None for anonymous (local mode) requests."""
    return request.user if request.user.is_authenticated else None


def may_view_task(user, owner_id: int | None) -> bool:
    return is_open(user) or (user.is_authenticated and owner_id is not None and owner_id == user.pk)


def visible_task(user, task_id, recorded: bool = False):
    """The task's status (tasks_app.selectors.status) if `user` may see it, else None: another user's task
    is as unknown as a made-up id (a 403 would confirm that it exists), and so is an id no task
    could have (a NUL would upset PostgreSQL). `recorded`: only a task the site sent itself (one
    it can retry or revoke), not one known by its result row alone."""
    from tasks_app import validation
    from tasks_app.selectors import status

    if not isinstance(task_id, str):
        return None
    try:
        validation.check_text(task_id, "id", "The task id", max_chars=255)
    except validation.TaskInputError:
        return None
    found = status.get(task_id)
    if found is None or (recorded and not found.recorded) or not may_view_task(user, found.owner_id):
        return None
    if found.worker and not is_open(user):  # a node name names a host: staff only, as on the dashboard
        return dataclasses.replace(found, worker=HIDDEN_WORKER)
    return found


def visible_tasks(user, records):
    """The TaskRecord queryset narrowed to what `user` may see."""
    return records if is_open(user) else records.filter(owner_id=user.pk)


class BadToken(UserError):
    """An Authorization header that names no live API token."""


def token_user(request):
    """The user whose API token the request carries (`Authorization: Bearer <key>`), None when
    it carries none; BadToken for a header that is malformed, unknown or revoked."""
    from tasks_app.models import ApiToken

    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    if scheme.lower() not in ("bearer", "token") or not key.strip():
        raise BadToken("Send the API token as 'Authorization: Bearer <token>'.")
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key.strip())).first()
    if token is None or not token.user.is_active:
        raise BadToken("This API token is not valid: it was mistyped, revoked, or its user is inactive.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most a write a minute
    return token.user
