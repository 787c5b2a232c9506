"""An error message with its variable parts replaced by placeholders, so that failures of one cause
group together: "timeout after 3.2 s fetching http://x/1" and "timeout after 4.1 s fetching http://x/2"
both read "timeout after <n> s fetching http://x/<id>". Pure: no Django, no database.

What counts as variable: quoted values, URLs' ports, path segments and query values, UUIDs, IP
addresses, hex (0x… or long runs of hex digits), and numbers. Words, and the URL's scheme and host, stay.
"""

from __future__ import annotations

import re

MAX_CHARS = 500  # longer messages are cut: a group's key, not its full text

_QUOTED = re.compile(r"""(?<!\w)(['"])[^'"\n]{0,300}\1(?!\w)""")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/\s?#:]*)(:\d+)?([^\s?#]*)(\?[^\s#]*)?(#\S*)?", re.IGNORECASE)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w<])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w>])", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# A path segment that is an id of some kind: digits, a UUID, hex, or a long mixed token.
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-f-]{16,}|(?=.*\d)[\w.-]{12,}|<\w+>)$", re.IGNORECASE)


def _query(query: str) -> str:
    pairs = (pair.partition("=") for pair in query.lstrip("?").split("&") if pair)
    return "?" + "&".join(f"{name}=<value>" if equals else name for name, equals, _ in pairs)


def _segment(segment: str) -> str:
    if not segment or not _ID_SEGMENT.match(segment):
        return segment
    return segment if segment.startswith("<") else "<id>"


def _url(match: re.Match) -> str:
    scheme, host, port, path, query, _fragment = match.groups()
    host = "<ip>" if _IPV4.fullmatch(host) else host.lower()
    path = "/".join(_segment(segment) for segment in (path or "").split("/"))
    return f"{scheme.lower()}{host}{':<port>' if port else ''}{path}{_query(query) if query else ''}"


def normalise(message: str) -> str:
    """`message` with its variable parts replaced (see the module's docstring), whitespace collapsed,
    at most MAX_CHARS long. The same cause gives the same text; the text still reads as the error."""
    text = _QUOTED.sub(lambda match: f"{match.group(1)}<value>{match.group(1)}", message or "")
    text = _UUID.sub("<uuid>", text)
    text = _URL.sub(_url, text)
    text = _IPV4.sub("<ip>", text)
    text = _HEX.sub("<hex>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]
