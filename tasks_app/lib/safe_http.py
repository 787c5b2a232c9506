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
from contextlib import suppress
from dataclasses import asdict, dataclass
from http.client import HTTPException
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin

import requests.certs
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError
from urllib3.exceptions import ProtocolError as Urllib3Protocol
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import parse_url

from tasks_app.lib import addresses
from tasks_app.lib.addresses import IPAddress
from tasks_app.lib.deadline import Expired, Watchdog

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 64 * 1024
USER_AGENT = "helloworld-fetch_url/1.0"
CA_BUNDLE = requests.certs.where()  # the bundle requests itself trusts, whatever the machine has
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
    except Expired:
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


def _parse(url: str, allowed: list, redirected_from: str | None = None) -> _Target:
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
    if address is not None:
        reason = addresses.refusal(address, allowed)
        if reason:
            spelled = host.strip("[]")
            if address.version == 6 or spelled == str(address):
                raise refuse(f"{spelled} is {reason}.", AddressRefused)
            # Show what 0x7f.1 and the like really are.
            raise refuse(f"{spelled} is {address}, {reason}.", AddressRefused)
    elif addresses.is_loopback_name(host) and not any(
        addresses.refusal(ip, allowed) is None for ip in addresses.LOOPBACK_ADDRESSES
    ):
        raise refuse(f"{host.rstrip('.')} is a loopback host name: it means this machine.", AddressRefused)
    return _Target(url, parts.scheme, host, parts.port or DEFAULT_PORTS[parts.scheme], parts.request_uri, address)


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
    resolved = list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))
    if not resolved:
        raise FetchError(f"Could not fetch {target.url}: {target.host} has no address.")
    for address in resolved:
        reason = addresses.refusal(address, allowed)
        if reason:
            raise AddressRefused(f"Refused {target.url}: {target.host} resolves to {address}, {reason}.")
    return resolved[0]


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
