"""Login throttling for the site's login and the admin's: failed logins counted per account and client
address, and per address, in fixed windows in the database.

Past LOGIN_FAILURES_PER_ACCOUNT failures for one account from one address in a window, that account's
login from that address is refused, with a message saying when to try again, until the window ends;
past LOGIN_FAILURES_PER_ADDRESS failures from one address (any accounts), every login from it is. The
refusal comes before the password is checked, so a guess past the limit learns nothing. The real user
is not locked out for long: at most one window (5 minutes), and not at all from another address; a
successful login forgets that account's failures from that address.

Counted as tasks_app.ratelimit counts (a conditional UPDATE on one row per key and window): shared by
every web process and dyno, atomic on SQLite and PostgreSQL, no new service. Keys are hashes, so the
table holds no user names or addresses. Why not django-axes: it brings its own models, middleware,
authentication backend and some forty settings, and locks out until reset unless configured not to;
the two counters we need are this module.

Hooked by Django's `user_login_failed` and `user_logged_in` signals, and by the login forms
(tasks_app.forms.ThrottledLogin) that ask `refusal` before authenticating.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver

from tasks_app.forwarded import client_address
from tasks_app.lib import windows
from tasks_app.models import LoginFailures


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _account_key(request, username: str) -> str:
    return _hash("account", username.strip().lower(), client_address(request))


def _keys(request, username: str) -> list[tuple[str, int, str]]:
    """(key, limit, whose failures) for each counter that is on (a limit of 0 is off)."""
    counters = [
        (_account_key(request, username), settings.LOGIN_FAILURES_PER_ACCOUNT, "for this account"),
        (_hash("address", client_address(request)), settings.LOGIN_FAILURES_PER_ADDRESS, "for any account"),
    ]
    return [counter for counter in counters if counter[1]]


def _window() -> tuple[datetime, int]:
    """This window's start and the seconds until it ends."""
    return windows.current(max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS))


def refusal(request, username: str) -> str | None:
    """Why this login is refused without checking the password, or None to go on."""
    if request is None:
        return None
    start, retry_after = _window()
    for key, limit, whose in _keys(request, username):
        if LoginFailures.objects.filter(key=key, window_start=start, count__gte=limit).exists():
            minutes = math.ceil(retry_after / 60)
            return (
                f"Too many failed logins {whose} from your address. "
                f"Try again in {minutes} minute{'' if minutes == 1 else 's'}; the password was not checked."
            )
    return None


def record_failure(request, username: str) -> None:
    start, _ = _window()
    for key, _limit, _whose in _keys(request, username):
        rows = LoginFailures.objects.filter(key=key, window_start=start)
        if rows.update(count=F("count") + 1):
            continue
        try:
            with transaction.atomic():
                LoginFailures.objects.create(key=key, window_start=start, count=1)
        except IntegrityError:  # another request made this window's row first: count on it
            rows.update(count=F("count") + 1)
        LoginFailures.objects.filter(window_start__lt=start).delete()  # once per new window and key


@receiver(user_login_failed)
def _count_failed_login(sender, credentials, request=None, **kwargs):
    if request is not None:
        record_failure(request, str(credentials.get("username") or ""))


@receiver(user_logged_in)
def _forget_failed_logins(sender, request, user, **kwargs):
    if request is not None:
        LoginFailures.objects.filter(key=_account_key(request, user.get_username())).delete()
