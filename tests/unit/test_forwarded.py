"""tasks_app.http.forwarded: X-Forwarded-For and X-Forwarded-Proto believed only from a configured proxy, and
then the right-most address that is not one of the proxies; from anyone else both are removed."""

import pytest
from django.test import RequestFactory

from tasks_app.http.forwarded import PROXY_PEER, ForwardedHeadersMiddleware


@pytest.fixture(autouse=True)
def proxies(settings):
    settings.TRUST_PROXY_HEADERS = True
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1", "10.0.0.0/24"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def seen(peer: str, forwarded_for: str | None = None, proto: str | None = None):
    """(client address, is_secure, the proxy's own address) as every later part of the site sees them."""
    headers = {"REMOTE_ADDR": peer}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    if proto is not None:
        headers["HTTP_X_FORWARDED_PROTO"] = proto
    request = RequestFactory().get("/", **headers)
    middleware = ForwardedHeadersMiddleware(lambda r: (r.META["REMOTE_ADDR"], r.is_secure(), r.META.get(PROXY_PEER)))
    return middleware(request)


def test_a_client_that_reaches_the_port_directly_can_claim_neither_an_address_nor_https():
    assert seen("203.0.113.9", "198.51.100.1", "https") == ("203.0.113.9", False, None)


def test_from_a_proxy_the_address_it_appended_is_the_client_and_its_scheme_counts():
    assert seen("127.0.0.1", "198.51.100.1", "https") == ("198.51.100.1", True, "127.0.0.1")
    assert seen("::1", "2001:db8::7", "http") == ("2001:db8::7", False, "::1")


def test_addresses_the_client_wrote_left_of_the_proxies_are_ignored():
    # The client wrote "1.1.1.1, 10.0.0.3" (posing as one of the proxies); the outer proxy appended the
    # address it saw (198.51.100.1), the inner proxy (10.0.0.2) the outer's (10.0.0.3).
    assert seen("10.0.0.2", "1.1.1.1, 10.0.0.3, 198.51.100.1, 10.0.0.3")[0] == "198.51.100.1"
    assert seen("10.0.0.2", "10.0.0.7, 10.0.0.3")[0] == "10.0.0.7"  # every hop a proxy: the farthest


def test_a_proxy_that_sends_no_forwarded_for_leaves_its_own_address():
    assert seen("10.0.0.2") == ("10.0.0.2", False, "10.0.0.2")


def test_on_the_platform_any_peer_is_the_router_and_only_its_last_hop_counts(settings):
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert seen("10.9.8.7", "6.6.6.6, 198.51.100.1", "https") == ("198.51.100.1", True, "10.9.8.7")


def test_trust_proxy_headers_off_believes_no_one(settings):
    settings.TRUST_PROXY_HEADERS = False
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert seen("127.0.0.1", "198.51.100.1", "https") == ("127.0.0.1", False, None)
