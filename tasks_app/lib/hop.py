"""One hop of a fetch on the wire: its parsed target, a connection to exactly the address that was
checked, the request's headers, the cookies a redirect sets, and the body counted, never kept.
safe_http decides which hops may be made; this module makes them."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

import requests.certs
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection

from tasks_app.lib.addresses import IPAddress

DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK_SIZE = 64 * 1024
USER_AGENT = "helloworld-fetch_url/1.0"
CA_BUNDLE = requests.certs.where()  # the bundle requests itself trusts, whatever the machine has


@dataclass(frozen=True)
class Target:
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


def connect(target: Target, address: IPAddress, timeout: float) -> HTTPConnection:
    """An unopened connection to exactly `address`, the checked one, that speaks for `target.host`.

    urllib3 is handed the IP address, so it has no name to resolve again. The name still goes where
    the server needs it: in the Host header (`request_headers`) and, for https, as `server_hostname`, which
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


def request_headers(target: Target, extra: HTTPHeaderDict, cookies: dict[str, str]) -> HTTPHeaderDict:
    headers = HTTPHeaderDict({"User-Agent": USER_AGENT, "Accept": "*/*"})
    headers.update(extra)
    headers["Host"] = target.host_header
    headers["Accept-Encoding"] = "identity"  # sizes are of the bytes sent; nothing is inflated in memory
    headers["Connection"] = "close"  # one request per connection: the next hop may be another address
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return headers


def remember_cookies(cookies: dict[str, str], response) -> None:
    """Keep what a redirect sets, for the next hop if it stays on this origin (a login or consent step)."""
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        with suppress(CookieError):
            parsed.load(header)
        cookies.update((name, morsel.value) for name, morsel in parsed.items())


def read_body(response, max_bytes: int) -> tuple[int, bool]:
    """Count the body in chunks, keeping none; stop one byte past `max_bytes` to know it was cut."""
    size = 0
    while size <= max_bytes:
        # read1: whatever one read brings, rather than waiting for a full chunk.
        chunk = response.read1(min(CHUNK_SIZE, max_bytes + 1 - size), decode_content=False)
        if not chunk:
            break
        size += len(chunk)
    return min(size, max_bytes), size > max_bytes
