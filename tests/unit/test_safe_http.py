"""The SSRF-safe client: what it refuses and why, and how it fetches what it allows, against real local servers.

Loopback is refused like any private range, so the tests that fetch from a local server allow-list
127.0.0.0/8 through `FETCH_URL_ALLOWED_NETWORKS`, as local development does.
"""

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from tasks_app.lib import hop
from tasks_app.lib.safe_http import FetchError, check_url, fetch

LOOPBACK = ["127.0.0.0/8"]


@pytest.fixture(autouse=True)
def no_allowed_networks(settings):
    # A developer's FETCH_URL_ALLOWED_NETWORKS must not loosen these tests.
    settings.FETCH_URL_ALLOWED_NETWORKS = []
    return settings


def quick_fetch(url, **overrides):
    options = {"timeout": 2, "deadline": 5, "max_bytes": 100_000} | overrides
    return fetch(url, **options)


# --- Refused without the network -----------------------------------------------------------------
REFUSED = [
    # IPv4 ranges
    ("http://10.0.0.5/", "10.0.0.5 is a private address."),
    ("http://172.16.3.4/", "172.16.3.4 is a private address."),
    ("https://192.168.1.1:8443/admin", "192.168.1.1 is a private address."),
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address."),
    ("http://127.255.255.254:8000/", "127.255.255.254 is a loopback address."),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address (a cloud metadata service)."),
    ("http://169.254.10.1/", "169.254.10.1 is a link-local address."),
    ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address."),
    ("http://100.100.100.200/", "100.100.100.200 is a shared (carrier-grade NAT) address (a cloud metadata service)."),
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address."),
    ("http://0.1.2.3/", "0.1.2.3 is an unspecified address."),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address."),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address."),
    ("http://255.255.255.255/", "255.255.255.255 is a reserved address."),
    ("http://192.0.2.1/", "192.0.2.1 is a special-purpose address that is not globally reachable."),
    ("http://198.18.0.1/", "198.18.0.1 is a special-purpose address that is not globally reachable."),
    ("http://192.0.0.8/", "192.0.0.8 is a special-purpose address that is not globally reachable."),
    # Other spellings of an IPv4 address
    ("http://2130706433/", "2130706433 is 127.0.0.1, a loopback address."),
    ("http://0177.0.0.1/", "0177.0.0.1 is 127.0.0.1, a loopback address."),
    ("http://0x7f.1/", "0x7f.1 is 127.0.0.1, a loopback address."),
    ("http://0x7F000001/", "0x7f000001 is 127.0.0.1, a loopback address."),
    ("http://127.1/", "127.1 is 127.0.0.1, a loopback address."),
    ("http://10.1/", "10.1 is 10.0.0.1, a private address."),
    ("http://0xa9fea9fe/", "0xa9fea9fe is 169.254.169.254, a link-local address (a cloud metadata service)."),
    ("http://0251.0376.0251.0376/", "is 169.254.169.254, a link-local address"),
    ("http://0/", "0 is 0.0.0.0, an unspecified address."),
    ("http://127.0.0.1./", "127.0.0.1. is 127.0.0.1, a loopback address."),
    ("http://%31%32%37.0.0.1/", "127.0.0.1 is a loopback address."),
    ("HTTP://127.0.0.1:80/", "127.0.0.1 is a loopback address."),
    # IPv6, and IPv6 that carries an IPv4 address
    ("http://[::1]/", "::1 is a loopback address."),
    ("http://[0:0:0:0:0:0:0:1]:8080/", "0:0:0:0:0:0:0:1 is a loopback address."),
    ("http://[::]/", ":: is an unspecified address."),
    ("http://[fe80::1]/", "fe80::1 is a link-local address."),
    ("http://[fc00::1]/", "fc00::1 is a private address."),
    ("http://[fd12:3456::1]/", "fd12:3456::1 is a private address."),
    ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a private address (a cloud metadata service)."),
    ("http://[fec0::1]/", "fec0::1 is a private address."),
    ("http://[ff02::1]/", "ff02::1 is a multicast address."),
    ("http://[2001:db8::1]/", "2001:db8::1 is a special-purpose address that is not globally reachable."),
    ("http://[64:ff9b:1::1]/", "64:ff9b:1::1 is a reserved address."),
    ("http://[::ffff:127.0.0.1]/", "is an IPv4-mapped IPv6 address for 127.0.0.1, a loopback address."),
    ("http://[::ffff:7f00:1]/", "is an IPv4-mapped IPv6 address for 127.0.0.1, a loopback address."),
    ("http://[::ffff:169.254.169.254]/", "IPv4-mapped IPv6 address for 169.254.169.254, a link-local address"),
    ("http://[::ffff:10.0.0.1]:8080/", "IPv4-mapped IPv6 address for 10.0.0.1, a private address."),
    ("http://[::127.0.0.1]/", "is an IPv4-compatible IPv6 address for 127.0.0.1, a loopback address."),
    ("http://[::8.8.8.8]/", "is a reserved address."),  # IPv4-compatible addresses are deprecated
    ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1 is a NAT64 address for 127.0.0.1, a loopback address."),
    ("http://[64:ff9b::a9fe:a9fe]/", "is a NAT64 address for 169.254.169.254, a link-local address"),
    ("http://[2002:7f00:1::1]/", "2002:7f00:1::1 is a 6to4 address for 127.0.0.1, a loopback address."),
    ("http://[2002:a9fe:a9fe::]/", "is a 6to4 address for 169.254.169.254, a link-local address"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "is a Teredo address for 127.0.0.1, a loopback address."),
    ("http://[fe80::1%25eth0]/", "has an IPv6 zone identifier"),
    # Names that mean this machine
    ("http://localhost/", "localhost is a loopback host name"),
    ("http://LOCALHOST:8000/", "localhost is a loopback host name"),
    ("http://localhost./", "localhost is a loopback host name"),
    ("http://api.localhost/", "api.localhost is a loopback host name"),
    ("http://ip6-localhost/", "ip6-localhost is a loopback host name"),
    # Credentials in the URL
    ("http://user:secret@example.com/", "Refused http://***@example.com/: the URL carries a user name or password"),
    ("http://user@example.com/", "the URL carries a user name or password (user:pass@)"),
    ("http://example.com@127.0.0.1/", "the URL carries a user name or password"),
    # Schemes and hosts
    ("ftp://example.com/file", "Refused ftp://example.com/file: the ftp scheme is not allowed."),
    ("file:///etc/passwd", "the file scheme is not allowed. Only http and https URLs can be fetched"),
    ("gopher://example.com:70/_GET", "the gopher scheme is not allowed."),
    ("javascript:alert(1)", "the javascript scheme is not allowed."),
    ("data:text/plain,hello", "the data scheme is not allowed."),
    ("example.com/page", "the URL has no scheme. Only http and https URLs can be fetched"),
    ("//example.com/page", "the URL has no scheme."),
    ("http:///path", "Refused http:///path: the URL has no host name"),
    ("https://", "the URL has no host name"),
    ("http://:8080/", "the URL has no host name"),
    # Malformed hosts, IDNA included: the parser that checks is the one that connects
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "it is not a valid URL"),  # full-width 127.0.0.1
    ("http://ⓛocalhost/", "it is not a valid URL"),
    ("http://exa mple.com/", "it is not a valid URL"),
    ("http://example.com:99999/", "it is not a valid URL"),
    ("http://09.0.0.1/", "09.0.0.1 is not a valid IPv4 address."),
    ("http://256.0.0.1/", "256.0.0.1 is not a valid IPv4 address."),
    ("http://1.2.3.4.5/", "1.2.3.4.5 is not a valid IPv4 address."),
    ("http://a..b/", "a..b is not a valid host name."),
    ("http://-bad.example/", "-bad.example is not a valid host name."),
]


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_check_url_refuses_and_names_the_rule(url, message):
    with pytest.raises(FetchError) as refused:
        check_url(url)
    assert message in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_message_reads_well_on_a_status_page():
    with pytest.raises(FetchError, match=r"^Refused http://10\.0\.0\.5/: 10\.0\.0\.5 is a private address\.$"):
        check_url("http://10.0.0.5/")


@pytest.mark.parametrize("url", ["", "   ", None])
def test_an_empty_url_is_refused(url):
    with pytest.raises(FetchError, match="The URL is empty"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "http://example.com:8080/path?query=1#fragment",
        "http://8.8.8.8/",
        "http://134744072/",  # 8.8.8.8, spelled as one number
        "http://[2606:4700:4700::1111]/",
        "http://[::ffff:8.8.8.8]/",  # mapped: the packets go to 8.8.8.8
        "http://[64:ff9b::808:808]/",  # NAT64 for 8.8.8.8
        "https://bücher.example/",
        "http://example.com./",
        "http://under_score.example/",
    ],
)
def test_check_url_lets_public_urls_through(url):
    check_url(url)


def test_check_url_does_not_touch_the_network(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("check_url resolved a name")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    check_url("https://does-not-exist.invalid/")


def test_allowed_networks_let_local_development_in(settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8", "fd00::/8"]
    for url in ["http://127.0.0.1:8000/", "http://127.1:8000/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/"]:
        check_url(url)
    check_url("http://localhost:8000/")  # loopback is allowed, so its name is too
    with pytest.raises(FetchError, match=r"10\.0\.0\.1 is a private address"):
        check_url("http://10.0.0.1/")
    with pytest.raises(FetchError, match=r"169\.254\.169\.254 is a link-local address"):
        check_url("http://169.254.169.254/")


def test_allowed_networks_can_come_as_the_environment_spells_them(settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = "127.0.0.0/8, ::1/128"
    check_url("http://[::1]/")


def test_a_malformed_allowed_network_is_a_configuration_error(settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8", "loopback"]
    with pytest.raises(ImproperlyConfigured, match="'loopback' is not a network"):
        check_url("https://example.com/")


def test_fetch_refuses_what_check_url_refuses_before_connecting():
    with pytest.raises(FetchError, match=r"0xa9fea9fe is 169\.254\.169\.254, a link-local address"):
        quick_fetch("http://0xa9fea9fe/latest/meta-data/")


# --- Local servers, fake DNS -----------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    """Routes for the tests; every request is recorded on the server."""

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.server.requests.append(
            {
                "path": parts.path,
                "host": self.headers.get("Host"),
                "cookie": self.headers.get("Cookie"),
                "authorization": self.headers.get("Authorization"),
                "user_agent": self.headers.get("User-Agent"),
            }
        )
        if parts.path == "/redirect":  # ?to=URL[&cookie=name=value]
            self.send_response(302)
            self.send_header("Location", query["to"])
            if "cookie" in query:
                self.send_header("Set-Cookie", f"{query['cookie']}; Path=/; HttpOnly")
            self.end_headers()
        elif parts.path.startswith("/hops/"):  # /hops/N redirects N times
            left = int(parts.path.rsplit("/", 1)[1])
            if left:
                self.send_response(301)
                self.send_header("Location", f"/hops/{left - 1}")
                self.end_headers()
            else:
                self._body(b"arrived")
        elif parts.path.startswith("/bytes/"):
            self._body(b"x" * int(parts.path.rsplit("/", 1)[1]))
        elif parts.path == "/drip-body":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self._drip(b"x" * 1000)
        elif parts.path == "/drip-headers":
            self.wfile.write(b"HTTP/1.0 200 OK\r\n")
            self._drip(b"X-Slow: " + b"a" * 1000)
        else:
            self._body(b"hello")

    def _body(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, data):
        for i in range(len(data)):
            try:
                self.wfile.write(data[i : i + 1])
            except OSError:
                return  # the client hung up
            time.sleep(0.1)

    def log_message(self, *args):
        pass


def _serve(server):
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server


@pytest.fixture
def site(settings):
    """A local HTTP server on 127.0.0.1, allow-listed; `site.url` is its base URL."""
    settings.FETCH_URL_ALLOWED_NETWORKS = LOOPBACK
    server = _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Handler))
    server.port = server.server_address[1]
    server.url = f"http://127.0.0.1:{server.port}"
    yield server
    server.shutdown()
    server.server_close()


class FakeDNS:
    """Answers for made-up names; each lookup takes the next answer, the last one repeats."""

    def __init__(self, real):
        self.real = real
        self.answers = {}
        self.lookups = []

    def add(self, name, *answers):
        self.answers[name] = list(answers)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.answers:
            return self.real(host, port, family, type, proto, flags)  # IP addresses, as urllib3 connects
        self.lookups.append(host)
        queue = self.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = [answer] if isinstance(answer, str) else answer
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


# --- Fetching ----------------------------------------------------------------------------------------
def test_a_plain_fetch_summarizes_the_response(site):
    summary = quick_fetch(f"{site.url}/bytes/3000")
    assert summary.as_dict() == {
        "status_code": 200,
        "url": f"{site.url}/bytes/3000",
        "content_type": "text/plain; charset=utf-8",
        "size_bytes": 3000,
        "truncated": False,
    }
    assert site.requests[0]["host"] == f"127.0.0.1:{site.port}"


def test_loopback_is_refused_without_the_allow_list(site, settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = []
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 is a loopback address"):
        quick_fetch(f"{site.url}/bytes/10")
    assert site.requests == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("10.0.0.1", "Refused http://internal.test/: internal.test resolves to 10.0.0.1, a private address."),
        (
            "169.254.169.254",
            "internal.test resolves to 169.254.169.254, a link-local address (a cloud metadata service)",
        ),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6 address for 127.0.0.1, a loopback address"),
        # One bad address among good ones is enough: a client may connect to any of them.
        (["93.184.215.14", "127.0.0.1"], "internal.test resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_every_address_a_name_resolves_to_is_checked(dns, answer, message):
    dns.add("internal.test", answer)
    with pytest.raises(FetchError) as refused:
        quick_fetch("http://internal.test/")
    assert message in str(refused.value)


def test_a_name_that_does_not_resolve_is_a_fetch_error(dns):
    dns.add("nowhere.test", None)
    with pytest.raises(FetchError, match=r"^Could not fetch http://nowhere.test/: gaierror: "):
        quick_fetch("http://nowhere.test/")


def test_the_connection_goes_to_the_checked_address_not_a_second_answer(site, dns):
    # The name passes the check at 127.0.0.1 (allow-listed here); a second lookup would say 10.0.0.1.
    dns.add("pinned.test", "127.0.0.1", "10.0.0.1")
    summary = quick_fetch(f"http://pinned.test:{site.port}/hello", timeout=1)
    assert summary.status_code == 200
    assert summary.url == f"http://pinned.test:{site.port}/hello"
    assert dns.lookups == ["pinned.test"]  # resolved once
    assert site.requests == [
        {
            "path": "/hello",
            "host": f"pinned.test:{site.port}",
            "cookie": None,
            "authorization": None,
            "user_agent": hop.USER_AGENT,
        }
    ]


def test_a_connection_failure_names_the_error(settings):
    settings.FETCH_URL_ALLOWED_NETWORKS = LOOPBACK
    with pytest.raises(FetchError, match=r"^Could not fetch http://127.0.0.1:1/: ConnectionRefusedError: "):
        quick_fetch("http://127.0.0.1:1/")


# --- Redirects ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("http://10.0.0.1/", "10.0.0.1 is a private address."),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local address (a cloud metadata service).",
        ),
        ("http://[::ffff:169.254.169.254]/", "IPv4-mapped IPv6 address for 169.254.169.254"),
        ("http://0x0a000001/", "0x0a000001 is 10.0.0.1, a private address."),
        ("http://127.0.0.2/", "127.0.0.2 is a loopback address."),
        ("ftp://example.com/", "the ftp scheme is not allowed."),
        ("file:///etc/passwd", "the file scheme is not allowed."),
        ("http://user:secret@example.com/", "the URL carries a user name or password"),
    ],
)
def test_every_redirect_hop_is_checked(site, settings, to, message):
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the site, not all of loopback
    start = f"{site.url}/redirect?to={quote(to, safe='')}"
    with pytest.raises(FetchError) as refused:
        quick_fetch(start)
    assert str(refused.value).startswith("Refused ")
    assert f" (redirected from {start}): " in str(refused.value)
    assert message in str(refused.value)
    assert "user:secret@" not in str(refused.value)


def test_redirects_are_followed_up_to_five(site):
    summary = quick_fetch(f"{site.url}/hops/5")
    assert (summary.status_code, summary.url) == (200, f"{site.url}/hops/0")
    assert len(site.requests) == 6


def test_a_sixth_redirect_is_refused(site):
    expected = f"Too many redirects: {site.url}/hops/6 redirected more than 5 times."
    with pytest.raises(FetchError, match=f"^{re.escape(expected)}$"):
        quick_fetch(f"{site.url}/hops/6")
    assert len(site.requests) == 6


def test_cookies_stay_on_their_host(site, dns):
    dns.add("a.test", "127.0.0.1")
    dns.add("b.test", "127.0.0.1")
    other_host = f"http://b.test:{site.port}/landing"
    same_host = f"/redirect?to={quote(other_host, safe='')}"
    summary = quick_fetch(f"http://a.test:{site.port}/redirect?cookie=session=s3cret&to={quote(same_host, safe='')}")
    assert summary.url == other_host
    first, second, third = site.requests
    assert (first["host"], first["cookie"]) == (f"a.test:{site.port}", None)
    assert (second["host"], second["cookie"]) == (f"a.test:{site.port}", "session=s3cret")  # same host: kept
    assert (third["host"], third["cookie"]) == (f"b.test:{site.port}", None)  # another host: never sent


def test_authorization_is_not_forwarded_to_another_host(site, dns):
    dns.add("a.test", "127.0.0.1")
    dns.add("b.test", "127.0.0.1")
    back_to_a = quote(f"http://a.test:{site.port}/back", safe="")
    to_b = quote(f"http://b.test:{site.port}/redirect?to={back_to_a}", safe="")
    quick_fetch(
        f"http://a.test:{site.port}/redirect?to={quote(f'/redirect?to={to_b}', safe='')}",
        headers={"Authorization": "Bearer s3cret"},
    )
    assert [(r["host"].split(":")[0], r["authorization"]) for r in site.requests] == [
        ("a.test", "Bearer s3cret"),
        ("a.test", "Bearer s3cret"),  # same host: kept
        ("b.test", None),  # another host: stripped
        ("a.test", None),  # and not restored on the way back
    ]


# --- Size, time, environment -------------------------------------------------------------------------
def test_the_body_is_cut_at_max_bytes(site):
    summary = quick_fetch(f"{site.url}/bytes/300000", max_bytes=1000)
    assert (summary.size_bytes, summary.truncated) == (1000, True)


def test_a_body_of_exactly_max_bytes_is_not_truncated(site):
    summary = quick_fetch(f"{site.url}/bytes/1000", max_bytes=1000)
    assert (summary.size_bytes, summary.truncated) == (1000, False)


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_a_server_that_drips_is_stopped_at_the_deadline(site, path):
    # A byte every 0.1 s never trips the 5 s socket timeout; only the deadline stops it.
    started = time.monotonic()
    expected = f"Deadline exceeded: fetching {site.url}{path} took longer than 1 seconds."
    with pytest.raises(FetchError, match=f"^{re.escape(expected)}$"):
        quick_fetch(f"{site.url}{path}", timeout=5, deadline=1)
    assert time.monotonic() - started < 1.5


def test_proxies_from_the_environment_are_ignored(site, monkeypatch):
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert quick_fetch(f"{site.url}/bytes/10").status_code == 200
    assert site.requests[0]["path"] == "/bytes/10"


# --- TLS to a pinned address -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=pinned.test"),
            *("-addext", "subjectAltName=DNS:pinned.test"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_site(settings, certificate, monkeypatch):
    """An HTTPS server on 127.0.0.1 whose certificate names only pinned.test, trusted by the client."""
    settings.FETCH_URL_ALLOWED_NETWORKS = LOOPBACK
    cert, key = certificate
    monkeypatch.setattr(hop, "CA_BUNDLE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _serve(server)
    server.port = server.server_address[1]
    server.server_names = server_names
    yield server
    server.shutdown()
    server.server_close()


def test_https_to_a_pinned_address_still_verifies_the_name(tls_site, dns):
    dns.add("pinned.test", "127.0.0.1")
    summary = quick_fetch(f"https://pinned.test:{tls_site.port}/hello")
    assert summary.status_code == 200
    assert tls_site.server_names == ["pinned.test"]  # SNI carried the name, not the address
    assert tls_site.requests[0]["host"] == f"pinned.test:{tls_site.port}"


def test_https_refuses_a_certificate_for_another_name(tls_site):
    with pytest.raises(FetchError, match=r"^Could not fetch https://127\.0\.0\.1:\d+/: SSLCertVerificationError: "):
        quick_fetch(f"https://127.0.0.1:{tls_site.port}/")
