"""The HTTP client that `fetch_url` uses: safe against server-side request forgery, bounded in time and size.

Anyone may type the URL, and a worker inside the platform's network fetches it, so every hop is
checked before a byte is sent:

- http and https only; no user:pass@ in the URL; a valid host name or IP address, in any spelling
  (2130706433, 0177.0.0.1, 0x7f.1, 127.1, [::ffff:127.0.0.1], trailing dots, IDNA);
- the host is resolved once, and every address it resolves to must be globally reachable: loopback,
  private, link-local (the cloud metadata service), shared, reserved, multicast, unspecified and
  other special-purpose ranges are refused, in IPv4 and IPv6, including IPv6 forms that carry an
  IPv4 address (mapped, compatible, 6to4, Teredo, NAT64); `localhost` names are refused up front;
- the connection goes to exactly the checked address (see `hop.connect`), so a DNS answer that
  changes between check and connect gains nothing;
- redirects are followed here, at most MAX_REDIRECTS, each hop checked like the first;
- no proxy, .netrc or cookie jar from the environment (plain urllib3 connections read none of
  them); credentials and cookies never follow a redirect to another origin;
- the body is read raw (never decompressed) and abandoned at `max_bytes`; a wall-clock `deadline`
  bounds the whole fetch however slowly the server drips (see `deadline.Watchdog`).

`check_url` applies the checks that need no network (the form and the API call it); `fetch` applies
them all. `settings.FETCH_URL_ALLOWED_NETWORKS`, empty by default, lets local development fetch
from chosen networks such as 127.0.0.0/8. Every refusal is a FetchError whose message names the rule.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from http.client import HTTPException
from urllib.parse import urljoin

from urllib3 import HTTPHeaderDict
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError
from urllib3.exceptions import ProtocolError as Urllib3Protocol
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import parse_url

from tasks_app.lib import addresses
from tasks_app.lib.addresses import IPAddress
from tasks_app.lib.deadline import Expired, Watchdog
from tasks_app.lib.hop import DEFAULT_PORTS, Target, connect, read_body, remember_cookies, request_headers

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that say who we are: dropped for good once a redirect leaves the origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class FetchError(Exception):
    """A URL that was refused or could not be fetched; the message says which and why."""


class AddressRefused(FetchError):
    """The URL's address is one the site never fetches (loopback, private, link-local...): refused
    again on every attempt, unless FETCH_URL_ALLOWED_NETWORKS allows its network."""

    # In local mode it is most often one's own development server: say how to allow it.
    LOCAL_HINT = (
        " To fetch a server on this machine or your network in local development, allow its network: "
        "FETCH_URL_ALLOWED_NETWORKS=127.0.0.0/8,::1/128 (or your LAN's, such as 192.168.0.0/16)."
    )


def explained(exc: FetchError, local_mode: bool) -> str:
    """The refusal as a person should read it: in local mode an address refusal names the setting."""
    return f"{exc}{AddressRefused.LOCAL_HINT}" if isinstance(exc, AddressRefused) and local_mode else str(exc)


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


def check_url(url: str) -> None:
    """Refuse what can be refused without the network; raises FetchError naming the rule.

    Host names are not resolved here: `fetch` resolves them and checks every address.
    """
    _parse(url, addresses.allowed_networks())


def fetch(
    url: str, *, timeout: float, deadline: float, max_bytes: int, headers: Mapping[str, str] | None = None
) -> FetchSummary:
    """Download `url` and summarize it; never keeps more than one chunk of the body.

    `timeout` bounds each socket operation and `deadline` the whole fetch, redirects included.
    `headers` are sent with the request (Authorization, say) until a redirect leaves the origin.
    """
    allowed = addresses.allowed_networks()
    target = _parse(url, allowed)
    extra = HTTPHeaderDict(headers or {})
    cookies: dict[str, str] = {}  # this origin's only: cleared whenever a redirect leaves it
    watchdog = Watchdog(deadline)
    redirects = 0
    try:
        while True:
            answer = _request(target, _Shared(allowed, extra, cookies, watchdog, timeout, max_bytes))
            if isinstance(answer, FetchSummary):
                return answer
            if redirects == MAX_REDIRECTS:
                raise FetchError(f"Too many redirects: {url} redirected more than {MAX_REDIRECTS} times.")
            redirects += 1
            following = _parse(urljoin(target.url, answer), allowed, redirected_from=target.url)
            if following.origin != target.origin:
                cookies.clear()
                for name in CREDENTIAL_HEADERS:
                    extra.discard(name)
            target = following
    except Expired:
        raise NetworkError(f"Deadline exceeded: fetching {url} took longer than {deadline:g} seconds.") from None
    except (OSError, HTTPException, Urllib3Error) as exc:
        raise _failure(exc, url, target, deadline, watchdog.expired) from exc
    finally:
        watchdog.cancel()


@dataclass(frozen=True)
class _Shared:
    """What every request of one fetch shares (the headers and cookies change as it goes)."""

    allowed: list
    headers: HTTPHeaderDict
    cookies: dict[str, str]
    watchdog: Watchdog
    timeout: float
    max_bytes: int


def _request(target: Target, shared: _Shared) -> FetchSummary | str:
    """One request: the summary of its response, or the Location it redirects to."""
    connection = connect(target, _resolve(target, shared.allowed), shared.watchdog.socket_timeout(shared.timeout))
    shared.watchdog.guard(connection)
    try:
        connection.connect()
        shared.watchdog.connected()
        connection.request(
            "GET", target.path, headers=request_headers(target, shared.headers, shared.cookies), preload_content=False
        )
        response = connection.getresponse()
        location = response.headers.get("Location") if response.status in REDIRECT_STATUSES else None
        if location:
            remember_cookies(shared.cookies, response)
            return location
        size, truncated = read_body(response, shared.max_bytes)
        shared.watchdog.check()  # a shut socket looks like the end of the body
        return FetchSummary(
            status_code=response.status,
            url=target.url,
            content_type=response.headers.get("Content-Type", ""),
            size_bytes=size,
            truncated=truncated,
        )
    finally:
        connection.close()


def _failure(exc: Exception, url: str, target: Target, deadline: float, expired: bool) -> FetchError:
    """The error to raise for a network failure: NetworkError when trying again may help."""
    if expired:
        return NetworkError(f"Deadline exceeded: fetching {url} took longer than {deadline:g} seconds.")
    # urllib3 wraps the socket's own error (ConnectionRefusedError, SSLCertVerificationError...):
    # that one is the name a person can act on.
    cause = exc.__cause__ if isinstance(exc, Urllib3Error) and exc.__cause__ else exc
    error = NetworkError if _transient(exc) or _transient(cause) else FetchError
    return error(f"Could not fetch {target.url}: {cause.__class__.__name__}: {cause}")


def _parse(url: str, allowed: list, redirected_from: str | None = None) -> Target:
    """Parse one hop's URL and apply every rule that needs no network."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("The URL is empty; give a full URL such as https://example.com/.")
    url = url.strip()
    shown = f"{url} (redirected from {redirected_from})" if redirected_from else url

    def refuse(reason: str, error=FetchError) -> FetchError:
        return error(f"Refused {shown}: {reason}")

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
    address = addresses.ip_literal(host, refuse)
    _check_host(host, address, allowed, refuse)
    return Target(url, parts.scheme, host, parts.port or DEFAULT_PORTS[parts.scheme], parts.request_uri, address)


def _check_host(host: str, address: IPAddress | None, allowed: list, refuse) -> None:
    """Refuse a host that is an address outside `allowed` (`address`: the host as an IP literal),
    or a loopback name while no loopback address is allowed."""
    if address is None:
        if addresses.is_loopback_name(host) and not any(
            addresses.refusal(ip, allowed) is None for ip in addresses.LOOPBACK_ADDRESSES
        ):
            raise refuse(f"{host.rstrip('.')} is a loopback host name: it means this machine.", AddressRefused)
        return
    reason = addresses.refusal(address, allowed)
    if not reason:
        return
    spelled = host.strip("[]")
    if address.version == 6 or spelled == str(address):
        raise refuse(f"{spelled} is {reason}.", AddressRefused)
    # Show what 0x7f.1 and the like really are.
    raise refuse(f"{spelled} is {address}, {reason}.", AddressRefused)


def _resolve(target: Target, allowed: list) -> IPAddress:
    """The one address to connect to: resolved once, and every address the name has must pass.

    The system resolver bounds its own time (resolv.conf); the deadline starts counting at connect.
    """
    if target.address is not None:
        return target.address
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NetworkError(f"Could not fetch {target.url}: {exc.__class__.__name__}: {exc}") from exc
    resolved = list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))
    if not resolved:
        raise FetchError(f"Could not fetch {target.url}: {target.host} has no address.")
    for address in resolved:
        reason = addresses.refusal(address, allowed)
        if reason:
            raise AddressRefused(f"Refused {target.url}: {target.host} resolves to {address}, {reason}.")
    return resolved[0]
