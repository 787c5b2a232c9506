"""The HTTP client that `fetch_url` uses: safe against server-side request forgery, bounded in time and size.

Anyone may type the URL, and a worker inside the platform's network fetches it, so every hop is
checked before a byte is sent:

- http and https only; no user:pass@ in the URL; a valid host name or IP address, in any spelling
  (2130706433, 0177.0.0.1, 0x7f.1, 127.1, [::ffff:127.0.0.1], trailing dots, IDNA);
- the host is resolved once, and every address it resolves to must be globally reachable: loopback,
  private, link-local (the cloud metadata service), shared, reserved, multicast, unspecified and
  other special-purpose ranges are refused, in IPv4 and IPv6, including IPv6 forms that carry an
  IPv4 address (mapped, compatible, 6to4, Teredo, NAT64); `localhost` names are refused up front;
- the connection goes to exactly the checked address (see `_connect`), so a DNS answer that
  changes between check and connect gains nothing;
- redirects are followed here, at most MAX_REDIRECTS, each hop checked like the first;
- no proxy, .netrc or cookie jar from the environment (plain urllib3 connections read none of
  them); credentials and cookies never follow a redirect to another origin;
- the body is read raw (never decompressed) and abandoned at `max_bytes`; a wall-clock `deadline`
  bounds the whole fetch however slowly the server drips (see `_Watchdog`).

`check_url` applies the checks that need no network (the form and the API call it); `fetch` applies
them all. `settings.FETCH_URL_ALLOWED_NETWORKS`, empty by default, lets local development fetch
from chosen networks such as 127.0.0.0/8. Every refusal is a FetchError whose message names the rule.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass
from http.client import HTTPException
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin

import requests.certs
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError
from urllib3.exceptions import ProtocolError as Urllib3Protocol
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 64 * 1024
USER_AGENT = "helloworld-fetch_url/1.0"
CA_BUNDLE = requests.certs.where()  # the bundle requests itself trusts, whatever the machine has
# Headers that say who we are: dropped for good once a redirect leaves the origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
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


class FetchError(Exception):
    """A URL that was refused or could not be fetched; the message says which and why."""


class NetworkError(FetchError):
    """The network failed (refused, reset, timed out, no DNS answer): worth trying again later,
    unlike a refusal of the URL or its address, which will be refused again."""


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | Urllib3Timeout | Urllib3Protocol)


@dataclass(frozen=True)
class FetchSummary:
    status_code: int
    url: str
    content_type: str
    size_bytes: int
    truncated: bool

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Target:
    """One hop's URL, parsed once: the check and the connection both use these fields, never the text."""

    url: str
    scheme: str
    host: str  # normalized by urllib3: lowercase, IDNA-encoded, [brackets] around IPv6
    port: int
    path: str  # path and query
    address: IPAddress | None  # set when the host is an IP address, however spelled

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host.rstrip("."), self.port

    @property
    def host_header(self) -> str:
        return self.host if self.port == DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"


def check_url(url: str) -> None:
    """Refuse what can be refused without the network; raises FetchError naming the rule.

    Host names are not resolved here: `fetch` resolves them and checks every address.
    """
    _parse(url, _allowed_networks())


def fetch(
    url: str, *, timeout: float, deadline: float, max_bytes: int, headers: Mapping[str, str] | None = None
) -> FetchSummary:
    """Download `url` and summarize it; never keeps more than one chunk of the body.

    `timeout` bounds each socket operation and `deadline` the whole fetch, redirects included.
    `headers` are sent with the request (Authorization, say) until a redirect leaves the origin.
    """
    allowed = _allowed_networks()
    target = _parse(url, allowed)
    extra = HTTPHeaderDict(headers or {})
    cookies: dict[str, str] = {}  # this origin's only: cleared whenever a redirect leaves it
    watchdog = _Watchdog(deadline)
    redirects = 0
    try:
        while True:
            connection = _connect(target, _resolve(target, allowed), watchdog.socket_timeout(timeout))
            watchdog.guard(connection)
            try:
                connection.connect()
                watchdog.connected()
                connection.request("GET", target.path, headers=_headers(target, extra, cookies), preload_content=False)
                response = connection.getresponse()
                location = response.headers.get("Location") if response.status in REDIRECT_STATUSES else None
                if not location:
                    size, truncated = _read_body(response, max_bytes)
                    watchdog.check()  # a shut socket looks like the end of the body
                    return FetchSummary(
                        status_code=response.status,
                        url=target.url,
                        content_type=response.headers.get("Content-Type", ""),
                        size_bytes=size,
                        truncated=truncated,
                    )
                _remember_cookies(cookies, response)
            finally:
                connection.close()
            if redirects == MAX_REDIRECTS:
                raise FetchError(f"Too many redirects: {url} redirected more than {MAX_REDIRECTS} times.")
            redirects += 1
            following = _parse(urljoin(target.url, location), allowed, redirected_from=target.url)
            if following.origin != target.origin:
                cookies.clear()
                for name in CREDENTIAL_HEADERS:
                    extra.discard(name)
            target = following
    except _Expired:
        raise NetworkError(f"Deadline exceeded: fetching {url} took longer than {deadline:g} seconds.") from None
    except (OSError, HTTPException, Urllib3Error) as exc:
        if watchdog.expired:
            raise NetworkError(f"Deadline exceeded: fetching {url} took longer than {deadline:g} seconds.") from exc
        # urllib3 wraps the socket's own error (ConnectionRefusedError, SSLCertVerificationError...):
        # that one is the name a person can act on.
        cause = exc.__cause__ if isinstance(exc, Urllib3Error) and exc.__cause__ else exc
        error = NetworkError if _transient(exc) or _transient(cause) else FetchError
        raise error(f"Could not fetch {target.url}: {cause.__class__.__name__}: {cause}") from exc
    finally:
        watchdog.cancel()


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
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


def _parse(url: str, allowed: list, redirected_from: str | None = None) -> _Target:
    """Parse one hop's URL and apply every rule that needs no network."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("The URL is empty; give a full URL such as https://example.com/.")
    url = url.strip()
    shown = f"{url} (redirected from {redirected_from})" if redirected_from else url

    def refuse(reason: str) -> FetchError:
        return FetchError(f"Refused {shown}: {reason}")

    try:
        parts = parse_url(url)  # the one parser: no other one gets a chance to read the URL differently
    except LocationParseError as exc:
        raise refuse(f"it is not a valid URL ({exc}).") from None
    if parts.scheme not in DEFAULT_PORTS:
        rule = f"the {parts.scheme} scheme is not allowed" if parts.scheme else "the URL has no scheme"
        raise refuse(f"{rule}. Only http and https URLs can be fetched; write it as https://example.com/.")
    if parts.auth is not None:
        shown = re.sub(r"//[^/?#]*@", "//***@", shown, count=1)  # never echo the password
        raise refuse("the URL carries a user name or password (user:pass@); credentials in URLs are never sent.")
    if not parts.host:
        raise refuse("the URL has no host name; write it as https://example.com/.")
    host = parts.host.lower()  # urllib3 leaves some hosts, such as 0X7F.1, as typed
    address = _ip_literal(host, refuse)
    if address is not None:
        reason = _refusal(address, allowed)
        if reason:
            spelled = host.strip("[]")
            if address.version == 6 or spelled == str(address):
                raise refuse(f"{spelled} is {reason}.")
            raise refuse(f"{spelled} is {address}, {reason}.")  # show what 0x7f.1 and the like really are
    elif _is_loopback_name(host) and not any(_refusal(ip, allowed) is None for ip in _LOOPBACK_ADDRESSES):
        raise refuse(f"{host.rstrip('.')} is a loopback host name: it means this machine.")
    return _Target(url, parts.scheme, host, parts.port or DEFAULT_PORTS[parts.scheme], parts.request_uri, address)


_LOOPBACK_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _is_loopback_name(host: str) -> bool:
    name = host.rstrip(".")
    return name in LOOPBACK_NAMES or name.endswith(".localhost")


def _ip_literal(host: str, refuse) -> IPAddress | None:
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
        if len(labels) > 4 or not all(_NUMBER.fullmatch(label) for label in labels):
            raise ValueError
        numbers = [
            int(label[2:] or "0", 16) if label[:2].lower() == "0x" else int(label, 8 if label[0] == "0" else 10)
            for label in labels
        ]
        *leading, last = numbers
        if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
            raise ValueError
    except ValueError:
        raise refuse(f"{host} is not a valid IPv4 address.") from None
    return ipaddress.IPv4Address(sum(n << (24 - 8 * i) for i, n in enumerate(leading)) + last)


def _refusal(ip: IPAddress, allowed: list) -> str | None:
    """Why `ip` must not be fetched, such as 'a private address'; None when it may be."""
    if any(ip in network for network in allowed):
        return None
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded:
            kind, inner, delivers_to_inner = embedded
            reason = _refusal(inner, allowed)
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


def _resolve(target: _Target, allowed: list) -> IPAddress:
    """The one address to connect to: resolved once, and every address the name has must pass.

    The system resolver bounds its own time (resolv.conf); the deadline starts counting at connect.
    """
    if target.address is not None:
        return target.address
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NetworkError(f"Could not fetch {target.url}: {exc.__class__.__name__}: {exc}") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))
    if not addresses:
        raise FetchError(f"Could not fetch {target.url}: {target.host} has no address.")
    for address in addresses:
        reason = _refusal(address, allowed)
        if reason:
            raise FetchError(f"Refused {target.url}: {target.host} resolves to {address}, {reason}.")
    return addresses[0]


def _connect(target: _Target, address: IPAddress, timeout: float) -> HTTPConnection:
    """An unopened connection to exactly `address`, the checked one, that speaks for `target.host`.

    urllib3 is handed the IP address, so it has no name to resolve again. The name still goes where
    the server needs it: in the Host header (`_headers`) and, for https, as `server_hostname`, which
    urllib3 and the ssl module use both for SNI and to verify the certificate: TLS stays exactly as
    strict as a connection by name. Plain connections, not requests' sessions or urllib3's pool
    managers: nothing here reads proxies, .netrc or a cookie jar from the environment.
    """
    if target.scheme == "https":
        return HTTPSConnection(
            str(address),
            target.port,
            timeout=timeout,
            server_hostname=str(address) if target.address else target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=CA_BUNDLE,
        )
    return HTTPConnection(str(address), target.port, timeout=timeout)


def _headers(target: _Target, extra: HTTPHeaderDict, cookies: dict[str, str]) -> HTTPHeaderDict:
    headers = HTTPHeaderDict({"User-Agent": USER_AGENT, "Accept": "*/*"})
    headers.update(extra)
    headers["Host"] = target.host_header
    headers["Accept-Encoding"] = "identity"  # sizes are of the bytes sent; nothing is inflated in memory
    headers["Connection"] = "close"  # one request per connection: the next hop may be another address
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return headers


def _remember_cookies(cookies: dict[str, str], response) -> None:
    """Keep what a redirect sets, for the next hop if it stays on this origin (a login or consent step)."""
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        with suppress(CookieError):
            parsed.load(header)
        cookies.update((name, morsel.value) for name, morsel in parsed.items())


def _read_body(response, max_bytes: int) -> tuple[int, bool]:
    """Count the body in chunks, keeping none; stop one byte past `max_bytes` to know it was cut."""
    size = 0
    while size <= max_bytes:
        # read1: whatever one read brings, rather than waiting for a full chunk.
        chunk = response.read1(min(CHUNK_SIZE, max_bytes + 1 - size), decode_content=False)
        if not chunk:
            break
        size += len(chunk)
    return min(size, max_bytes), size > max_bytes


class _Expired(Exception):
    """The deadline passed between two steps of a fetch."""


class _Watchdog:
    """The wall-clock deadline of a whole fetch, enforced from a timer thread.

    A socket timeout bounds each read, not their sum: a server that sends a byte a second never
    trips it, whether it drips the status line, the headers or the body. At the deadline the
    timer shuts the current connection's socket down, which ends any blocked connect, TLS
    handshake or read at once; the fetch then reports the deadline, not the broken read.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._ends_at = time.monotonic() + seconds
        self._connection: HTTPConnection | None = None
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def socket_timeout(self, per_operation: float) -> float:
        """The timeout for the next connection's socket operations: never past the deadline."""
        remaining = self._ends_at - time.monotonic()
        if remaining <= 0:
            raise _Expired
        return min(per_operation, remaining)

    def check(self) -> None:
        if self.expired:
            raise _Expired

    def guard(self, connection: HTTPConnection) -> None:
        self._connection, self._socket = connection, None

    def connected(self) -> None:
        # http.client forgets `connection.sock` once a response that closes the connection
        # arrives, while the body is still to be read from it: keep the socket itself.
        self._socket = self._connection.sock
        if self.expired:
            self._shut()
        self.check()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        self._shut()

    def _shut(self) -> None:
        # During connect, `connection.sock` is the plain socket that the TLS handshake runs on.
        sock = self._socket or (self._connection.sock if self._connection else None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
