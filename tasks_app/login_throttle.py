"""Login throttling for the site's login and the admin's: failed logins counted per account and client
address, and per address, in fixed windows in the database.

Past LOGIN_FAILURES_PER_ACCOUNT failures for one account from one address in a window, that account's
login from that address is refused, with a message saying when to try again, until the window ends.
Past LOGIN_FAILURES_PER_ADDRESS failures from one address (any accounts), a login from it for an account
that has failed there too is refused; these refusals come before the password is checked, so a guess
past the limit learns nothing. An account with no failures of its own from that address still gets in
with its right password (a wrong one is refused with the same message, and counts, so that account is
then refused unchecked): many people share one address (an office, a campus, a mobile carrier's NAT),
and one guesser among them must not lock all of them out. The price: past the cap, a guesser still
gets one guess per account that has not failed there in this window. The real user is not locked out
for long: at most one window (5 minutes), and not at all from another address; a successful login
forgets that account's failures from that address.

Counted by tasks_app.counters, as the rate limits are: in the database, shared by every web process and
dyno, atomic on SQLite and PostgreSQL, no new service. Keys are hashes, so the table holds no user names
or addresses. Why not django-axes: it brings its own models, middleware, authentication backend and
some forty settings, and locks out until reset unless configured not to; the two counters we need are
this module.

Hooked by Django's `user_login_failed` and `user_logged_in` signals, and by the login forms
(tasks_app.forms.ThrottledLogin) that ask `throttled` before authenticating.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from tasks_app import counters
from tasks_app.http.forwarded import client_address


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _account_key(request, username: str) -> str:
    return _hash("account", username.strip().lower(), client_address(request))


def _address_key(request) -> str:
    return _hash("address", client_address(request))


def _keys(request, username: str) -> list[str]:
    """The key of each counter that is on (a limit of 0 is off): per account, per address."""
    limits = {
        _account_key(request, username): settings.LOGIN_FAILURES_PER_ACCOUNT,
        _address_key(request): settings.LOGIN_FAILURES_PER_ADDRESS,
    }
    return [key for key, limit in limits.items() if limit]


def _window() -> counters.Window:
    return counters.window(max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS))


@dataclass(frozen=True)
class Throttled:
    """A login past a limit. `only_a_correct_password`: past the address's cap only, for an account with
    no failures of its own here, the password is checked, but anything other than success is refused
    with this message (and counts): the cap stops guessing without locking out everyone who shares the
    address. Otherwise the password is not checked at all."""

    message: str
    only_a_correct_password: bool = False


def _in_minutes(retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def throttled(request, username: str) -> Throttled | None:
    """Why this login is throttled, or None to go on as usual."""
    if request is None:
        return None
    current = _window()
    retry_after = current.retry_after
    account_failures = counters.count(_account_key(request, username), current)
    per_account = settings.LOGIN_FAILURES_PER_ACCOUNT
    if per_account and account_failures >= per_account:
        return Throttled(
            "Too many failed logins for this account from your address. "
            f"Try again in {_in_minutes(retry_after)}; the password was not checked."
        )
    per_address = settings.LOGIN_FAILURES_PER_ADDRESS
    if per_address and counters.count(_address_key(request), current) >= per_address:
        if account_failures:
            return Throttled(
                "Too many failed logins for any account from your address. "
                f"Try again in {_in_minutes(retry_after)}; the password was not checked."
            )
        return Throttled(
            "Too many failed logins for any account from your address: until they are forgotten (in "
            f"{_in_minutes(retry_after)}), only a right password for an account with no failed logins "
            "gets in, and a wrong one counts.",
            only_a_correct_password=True,
        )
    return None


def record_failure(request, username: str) -> None:
    current = _window()
    for key in _keys(request, username):
        counters.hit(key, current)  # no limit here: `throttled` compares, failures past it still count


@receiver(user_login_failed)
def _count_failed_login(sender, credentials, request=None, **kwargs):
    if request is not None:
        record_failure(request, str(credentials.get("username") or ""))


@receiver(user_logged_in)
def _forget_failed_logins(sender, request, user, **kwargs):
    if request is not None:
        counters.reset(_account_key(request, user.get_username()), _window())
