"""Login throttling on the site's login and the admin's: per account and address, per address, a clear
message, the password not checked past the limit, and the real user back within one window."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from tasks_app.models import WindowCount
from tests.support.users import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("production", "one_window"),
    pytest.mark.production(
        LOGIN_FAILURES_PER_ACCOUNT=5,
        LOGIN_FAILURES_PER_ADDRESS=30,
        LOGIN_FAILURE_WINDOW_SECONDS=300,
        TRUST_PROXY_HEADERS=False,
    ),
]

LOGINS = {"site": "/accounts/login/", "admin": "/admin/login/"}


def log_in(where: str, username: str, password: str, address: str = "10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(LOGINS[where], {"username": username, "password": password})
    return response, "_auth_user_id" in client.session


@pytest.mark.parametrize("where", ["site", "admin"])
def test_five_failures_refuse_that_account_from_that_address_with_a_message(where, staff, bob):
    for _ in range(5):
        response, logged_in = log_in(where, "sam", "guess")
        assert response.status_code == 200 and not logged_in
        assert "Too many failed logins" not in response.content.decode()
    response, logged_in = log_in(where, "sam", PASSWORD)
    assert not logged_in
    page = response.content.decode()
    assert "Too many failed logins for this account from your address. Try again in" in page
    assert "the password was not checked" in page
    # The real user from elsewhere is not locked out, nor another account from this address.
    assert log_in(where, "sam", PASSWORD, address="10.0.0.2")[1]
    assert log_in(where, "bob", PASSWORD)[1] or where == "admin"  # bob is no staff: no admin


def test_the_account_is_back_after_the_window_and_a_success_forgets_the_failures(staff):
    for _ in range(5):
        log_in("site", "SAM", "guess")  # any spelling counts against the one account
    assert not log_in("site", "sam", PASSWORD)[1]
    WindowCount.objects.update(window_end=F("window_end") - timedelta(seconds=300))  # the window ends
    assert log_in("site", "sam", PASSWORD)[1]
    for _ in range(4):
        log_in("site", "sam", "guess")
    assert log_in("site", "sam", PASSWORD)[1]  # the success forgot them: four more allowed
    for _ in range(4):
        log_in("site", "sam", "guess")
    assert log_in("site", "sam", PASSWORD)[1]


def test_an_address_guessing_many_accounts_is_capped_but_its_innocent_users_get_in(staff, bob, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for number in range(8):
        log_in("site", f"user{number}", "guess")
    # Guessing is still capped: a second guess at an account that failed here is refused unchecked...
    response, logged_in = log_in("site", "user0", "guess")
    assert not logged_in
    assert (
        "Too many failed logins for any account from your address. Try again in 3 minutes; "
        "the password was not checked." in response.content.decode()
    )
    # ...even when it is right: user0 now exists with that very password.
    User.objects.create_user("user0", password="guess-right-password")
    assert not log_in("site", "user0", "guess-right-password")[1]
    # A first guess at an account that has not failed here is refused (and counts), and the next unchecked.
    response, logged_in = log_in("site", "bob", "bob-guess")
    assert not logged_in
    assert "only a right password for an account with no failed logins gets in" in response.content.decode()
    assert not log_in("site", "bob", PASSWORD)[1]
    # The innocent user behind the same address, whose account has no failures, gets in with the right password.
    assert log_in("site", "sam", PASSWORD)[1]
    assert log_in("site", "sam", PASSWORD, address="10.0.0.9")[1]


def test_x_forwarded_for_counts_only_where_proxy_headers_are_trusted(staff, settings):
    # Untrusted: a client cannot escape the count by claiming another address.
    for number in range(5):
        log_in("site", "sam", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert not log_in("site", "sam", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")[1]
    # Behind the platform's router (any peer, FORWARDED_ALLOW_IPS=*): the address it appended (the last)
    # is the client's.
    settings.TRUST_PROXY_HEADERS = True
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert log_in("site", "sam", PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.7")[1]
    for _ in range(5):
        log_in("site", "sam", "guess", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.8")
    assert not log_in("site", "sam", PASSWORD, HTTP_X_FORWARDED_FOR="5.6.7.8, 198.51.100.8")[1]


@pytest.fixture
def own_proxy(settings):
    """TRUST_PROXY_HEADERS=1 off the platform, with a proxy on this machine: only that proxy is trusted."""
    settings.TRUST_PROXY_HEADERS = True
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]


def test_rotating_x_forwarded_for_straight_to_the_port_gets_no_more_guesses(staff, own_proxy):
    # Before: 40 of 40 guesses were checked, each from a "new" address. Now the peer's own address counts.
    checked = 0
    for number in range(40):
        response, _ = log_in("site", "sam", "guess", address="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
        checked += "the password was not checked" not in response.content.decode()
    assert checked == 5
    # Through the proxy, the real user (another address) gets in.
    assert log_in("site", "sam", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")[1]


def test_forging_a_victims_address_straight_to_the_port_does_not_lock_the_victim_out(staff, own_proxy, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for number in range(10):
        log_in("site", f"user{number}", "guess", address="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.50")
        log_in("site", "sam", "guess", address="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.50")
    # The victim, whose address the attacker wrote, comes through the proxy and gets in.
    assert log_in("site", "sam", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")[1]


def test_no_user_name_or_address_is_stored(staff):
    log_in("site", "sam", "guess", address="10.1.2.3")
    stored = " ".join(WindowCount.objects.values_list("key", flat=True))
    assert "sam" not in stored and "10.1.2.3" not in stored
