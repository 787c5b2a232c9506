"""The HTTP client that `fetch_url` uses: bounded in time and size, JSON-sized answers only.

What it enforces now: http and https only; no proxy or credentials from the environment;
a connect/read timeout on each socket operation and a wall-clock deadline for the whole
download; the body read in chunks and abandoned at `max_bytes`. The address checks that make
it safe against server-side request forgery (private, loopback and metadata addresses,
DNS pinning, redirect hops) are the subject of their own issue and land here.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests

ALLOWED_SCHEMES = ("http", "https")
CHUNK_SIZE = 64 * 1024


class FetchError(Exception):
    """A URL that was refused or could not be fetched; the message says which and why."""


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
    """Refuse what can be refused without the network; raises FetchError with the rule."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("The URL is empty; give a full URL such as https://example.com/.")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise FetchError(
            f"Only http and https URLs can be fetched, not {parts.scheme or 'a URL without a scheme'}: "
            "write it as https://example.com/."
        )
    if not parts.hostname:
        raise FetchError("The URL has no host name; write it as https://example.com/.")


def fetch(url: str, *, timeout: float, deadline: float, max_bytes: int) -> FetchSummary:
    """Download `url` and summarize it; never keeps more than one chunk of the body."""
    check_url(url)
    started = time.monotonic()
    session = requests.Session()
    session.trust_env = False  # no proxies, .netrc credentials or CA bundles from the environment
    try:
        with session.get(url, stream=True, timeout=timeout, allow_redirects=True) as response:
            size = 0
            truncated = False
            for chunk in response.iter_content(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    size = max_bytes
                    truncated = True
                    break
                if time.monotonic() - started > deadline:
                    raise FetchError(f"The download took longer than {deadline:g} seconds and was stopped.")
            return FetchSummary(
                status_code=response.status_code,
                url=response.url,
                content_type=response.headers.get("Content-Type", ""),
                size_bytes=size,
                truncated=truncated,
            )
    except requests.RequestException as exc:
        raise FetchError(f"Could not fetch {url}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        session.close()
