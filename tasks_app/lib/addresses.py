"""Which addresses a fetch may reach: every spelling of an IP address read as a resolver reads it,
and the rules that refuse loopback, private, link-local, shared, reserved and other addresses
that are not globally reachable (IPv6 forms that carry an IPv4 address judged by that address).

Used by `safe_http` for each hop, before connecting; nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that mean this machine without asking DNS (RFC 6761 reserves .localhost; Debian's hosts file adds two).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_PRIVATE = tuple(map(ipaddress.ip_network, ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")))
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")  # not global, but older Pythons say it is
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_METADATA = frozenset(map(ipaddress.ip_address, ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")))

# Checked in order; the first that applies names the refusal. Ranges are named here, not left to
# `is_private`, because what that property covers differs between Python versions.
_RULES = (
    ("an unspecified address", lambda ip: ip.is_unspecified or ip in _THIS_NETWORK),
    ("a loopback address", lambda ip: ip.is_loopback),
    ("a link-local address", lambda ip: ip.is_link_local),
    ("a multicast address", lambda ip: ip.is_multicast),
    ("a private address", lambda ip: any(ip in network for network in _PRIVATE)),
    ("a shared (carrier-grade NAT) address", lambda ip: ip in _SHARED),
    ("a reserved address", lambda ip: ip.is_reserved),
    ("a special-purpose address that is not globally reachable", lambda ip: not ip.is_global or ip in _IETF_PROTOCOL),
)

# A label that makes a host an IPv4 address to inet_aton and browsers: decimal, 0x-hex, or digits (octal when 0-led).
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """FETCH_URL_ALLOWED_NETWORKS, read at each call so that overridden settings apply."""
    value = settings.FETCH_URL_ALLOWED_NETWORKS
    networks = []
    for cidr in value.split(",") if isinstance(value, str) else value:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"FETCH_URL_ALLOWED_NETWORKS: {cidr!r} is not a network such as 127.0.0.0/8 or ::1/128."
            ) from None
    return networks


LOOPBACK_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def is_loopback_name(host: str) -> bool:
    name = host.rstrip(".")
    return name in LOOPBACK_NAMES or name.endswith(".localhost")


def ip_literal(host: str, refuse) -> IPAddress | None:
    """The address `host` spells, in any form a resolver would accept; None for a host name."""
    if host.startswith("["):
        if "%" in host:
            raise refuse(f"{host} has an IPv6 zone identifier, which only link-local addresses use.")
        return ipaddress.IPv6Address(host[1:-1])  # urllib3 has already checked the syntax
    name = host.removesuffix(".")
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or len(name) > 253:
        raise refuse(f"{host} is not a valid host name.")
    # As in browsers: a host whose last label is a number is an IPv4 address, or nothing.
    if not _NUMBER.fullmatch(labels[-1]):
        return None
    try:
        return _ipv4(labels)
    except ValueError:
        raise refuse(f"{host} is not a valid IPv4 address.") from None


def _ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """The IPv4 address 1 to 4 numeric labels spell, as inet_aton reads them (0x1f hex, 017 octal,
    the last one filling the bytes left: 127.1, 2130706433); ValueError for none."""
    if len(labels) > 4 or not all(_NUMBER.fullmatch(label) for label in labels):
        raise ValueError
    numbers = [
        int(label[2:] or "0", 16) if label[:2].lower() == "0x" else int(label, 8 if label[0] == "0" else 10)
        for label in labels
    ]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError
    return ipaddress.IPv4Address(sum(n << (24 - 8 * i) for i, n in enumerate(leading)) + last)


def refusal(ip: IPAddress, allowed: list) -> str | None:
    """Why `ip` must not be fetched, such as 'a private address'; None when it may be."""
    if any(ip in network for network in allowed):
        return None
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded:
            kind, inner, delivers_to_inner = embedded
            reason = refusal(inner, allowed)
            if reason:
                return f"{kind} for {inner}, {reason}"
            if delivers_to_inner:
                return None  # the packets go to `inner`, which passed
    for label, applies in _RULES:
        if applies(ip):
            return label + (" (a cloud metadata service)" if ip in _METADATA else "")
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address, bool] | None:
    """The IPv4 address an IPv6 address carries, how, and whether traffic goes to that IPv4 host."""
    if ip.ipv4_mapped:
        return "an IPv4-mapped IPv6 address", ip.ipv4_mapped, True
    if ip in _NAT64:
        return "a NAT64 address", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip.sixtofour:
        return "a 6to4 address", ip.sixtofour, True
    if ip.teredo:
        return "a Teredo address", ip.teredo[1], False  # judged by its IPv6 range too
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1
        return "an IPv4-compatible IPv6 address", ipaddress.IPv4Address(int(ip)), False
    return None
