"""Forwarded headers, trusted only from the proxies the site is told about: the one place that decides
which client address and scheme a request has.

A proxy in front of the site (the platform's router, or one's own) says who the client is in
X-Forwarded-For (appending the address it saw) and whether it spoke HTTPS in X-Forwarded-Proto. A
client that reaches the web port directly can send both headers too. So the middleware here, first
in MIDDLEWARE, believes them only when the connection itself comes from a configured proxy
(settings.FORWARDED_ALLOW_IPS, with TRUST_PROXY_HEADERS on):

- from any other peer both headers are removed, so nothing later (SECURE_PROXY_SSL_HEADER, login
  throttling) can read a forged one;
- from a proxy, REMOTE_ADDR becomes the right-most X-Forwarded-For address that is not itself one of
  the listed proxy networks (each proxy appends the address it saw; whatever the client wrote stands
  to the left of that); the connection's own address is kept as `PROXY_PEER`.

`*` trusts any peer, and then only the last hop: on the platform the router is the only way into a
dyno, and the address it appended is the client's. The web server (whichever) rewrites nothing; every
consumer reads request.META["REMOTE_ADDR"] after this.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PROXY_PEER = "helloworld.proxy_peer"  # request.META key: the proxy's own address, when one was trusted
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


@cache
def networks(allowed: tuple[str, ...]) -> tuple[bool, tuple]:
    """(any peer, the listed networks) from FORWARDED_ALLOW_IPS's entries."""
    listed = []
    for entry in allowed:
        if entry == "*":
            continue
        try:
            listed.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network; "
                "give comma-separated addresses or networks such as 10.0.0.0/8, or *."
            ) from None
    return "*" in allowed, tuple(listed)


def _listed(address: str, listed: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in listed)


def trusted_proxies() -> tuple[bool, tuple]:
    if not settings.TRUST_PROXY_HEADERS:
        return False, ()
    return networks(tuple(settings.FORWARDED_ALLOW_IPS))


def normalise(meta: dict) -> None:
    """Rewrite a request's META as described above."""
    peer = meta.get("REMOTE_ADDR") or ""
    any_peer, listed = trusted_proxies()
    if not (any_peer or _listed(peer, listed)):
        for name in _FORWARDED:
            meta.pop(name, None)
        return
    meta[PROXY_PEER] = peer
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        client = hop
        if not _listed(hop, listed):
            break
    meta["REMOTE_ADDR"] = client


class ForwardedHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        trusted_proxies()  # a FORWARDED_ALLOW_IPS that cannot be read stops the start, with its message

    def __call__(self, request):
        normalise(request.META)
        return self.get_response(request)


def client_address(request) -> str:
    """The client's address, as the middleware above left it."""
    return request.META.get("REMOTE_ADDR") or "unknown"
