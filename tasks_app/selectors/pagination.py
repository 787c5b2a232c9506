"""The one keyset paginator: every list of the site (pages and API) is cut here.

A page is the rows after (or before) the row that ends (or starts) its neighbour, in the list's
order with the primary key breaking ties: an index scan from the cursor that stops one row past
the page (that row says whether the list goes on). No OFFSET, so a page costs the same at row 10
as at row 1,000,000, and rows added meanwhile neither repeat nor vanish; no COUNT, ever.

The cursor is opaque to clients: URL-safe base64 of `["n" or "p", sort key, id]`, "n" for the
next page (further along the order: older tasks, later names), "p" for the previous one. Only
this module reads it, and it accepts only what it could have written.

    page = pagination.paginate(records, "-created_at", request.GET.get("cursor", ""), limit)
    page = page.linked(request, full_path=True)        # next_url / previous_url
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict

from tasks_app import validation
from tasks_app.validation import TaskInputError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
NEXT, PREVIOUS = "n", "p"
BAD_CURSOR = "The cursor is not one this site gave out; start again from the first page."


@dataclasses.dataclass(frozen=True)
class Page:
    """One page's rows, and the cursors (and, once `linked`, the URLs) of its neighbours: None at an end."""

    items: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    next_url: str | None = None
    previous_url: str | None = None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def map(self, function: Callable) -> Page:
        """The same page with each row replaced by `function(row)` (a summary, a JSON object)."""
        return dataclasses.replace(self, items=[function(item) for item in self.items])

    def linked(self, request, keep: Iterable[str] | None = None, full_path: bool = False) -> Page:
        """The page with the neighbours' URLs: the request's query with the cursor replaced (only the
        parameters in `keep`, when given); `full_path` for the API's `/api/...?...`, else `?...`."""
        return dataclasses.replace(
            self,
            next_url=page_url(request, self.next_cursor, keep, full_path),
            previous_url=page_url(request, self.previous_cursor, keep, full_path),
        )

    def as_json(self, to_json: Callable) -> dict:
        return {"results": [to_json(item) for item in self.items], "next": self.next_url, "previous": self.previous_url}


def paginate(queryset, order: str, cursor: str = "", limit: int = DEFAULT_LIMIT) -> Page:
    """One page of `queryset` sorted by the field `order` ("-created_at": newest first; "name"),
    ties broken by primary key unless the field is unique. Two queries at most: none counts."""
    descending = order.startswith("-")
    key = order.lstrip("-")
    field = queryset.model._meta.get_field(key)
    unique = field.unique or field.primary_key
    direction, value, pk = decode(cursor, field) if cursor else (NEXT, None, None)
    forwards = direction == NEXT
    # Reading backwards (the previous page) walks the same index the other way, then turns round.
    down = descending == forwards
    sign = "-" if down else ""
    rows = queryset.order_by(f"{sign}{key}", *([] if unique else [f"{sign}pk"]))
    if value is not None:
        rows = rows.filter(_beyond(key, value, pk, "lt" if down else "gt", unique))
    rows = list(rows[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit] if forwards else rows[:limit][::-1]
    # Came from a cursor: the list goes on that way. Past the page's end: it goes on the other way.
    has_next = more if forwards else value is not None
    has_previous = value is not None if forwards else more
    return _page(rows, key, has_next, has_previous)


def _page(rows: list, key: str, has_next: bool, has_previous: bool) -> Page:
    """`rows` with the cursors to their neighbours, where there are any."""
    if not rows:
        return Page(items=rows)
    return Page(
        items=rows,
        next_cursor=encode(NEXT, rows[-1], key) if has_next else None,
        previous_cursor=encode(PREVIOUS, rows[0], key) if has_previous else None,
    )


def _beyond(key: str, value, pk, op: str, unique: bool) -> Q:
    if unique:
        return Q(**{f"{key}__{op}": value})
    # The redundant `key <= value` (or >=) keeps the OR inside one index range on PostgreSQL.
    return (Q(**{f"{key}__{op}": value}) | Q(**{key: value, f"pk__{op}": pk})) & Q(**{f"{key}__{op}e": value})


def linked_page(request, fetch: Callable[[str], Page], keep: Iterable[str] = ()) -> tuple[Page, TaskInputError | None]:
    """For a page of the site: `fetch(cursor)` with the request's `?cursor=`, linked to its
    neighbours, and no error; or an empty page and the error, for a cursor the site never gave out."""
    try:
        return fetch(request.GET.get("cursor", "")).linked(request, keep=keep), None
    except TaskInputError as exc:
        return Page([]), exc


def limit_from(text, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """The `limit` query parameter: a whole number from 1 to `maximum`, else TaskInputError."""
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:
        raise TaskInputError(f"The page size must be a whole number from 1 to {maximum}.", field="limit")
    return int(text)


def page_url(request, cursor: str | None, keep: Iterable[str] | None = None, full_path: bool = False) -> str | None:
    """This list's URL at `cursor` (None for None), its other query parameters kept."""
    if cursor is None:
        return None
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name != "cursor" and (keep is None or name in keep):
            query.setlist(name, [value.strip() for value in values if value.strip()])
    query["cursor"] = cursor
    return f"{request.path if full_path else ''}?{query.urlencode()}"


def encode(direction: str, row, key: str) -> str:
    value = getattr(row, key)
    if isinstance(value, date | datetime):
        value = value.isoformat()
    text = json.dumps([direction, value, row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, field) -> tuple[str, object, int]:
    """The (direction, sort key, id) a cursor holds, the key as the field's Python value; a
    TaskInputError (field "cursor") for anything this module would not have written."""
    try:
        if len(cursor) > 2000:
            raise ValueError(cursor)
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, value, pk = json.loads(text)
        if direction not in (NEXT, PREVIOUS) or not _is_integer(pk) or not 0 < pk <= validation.MAX_INTEGER:
            raise ValueError(pk)
        if field.get_internal_type().endswith(("IntegerField", "AutoField")):
            if not (_is_integer(value) and abs(value) <= validation.MAX_INTEGER):  # SQLite overflows past 64 bits
                raise ValueError(value)
        elif isinstance(value, str):  # text, or a date and time in ISO 8601
            validation.check_text(value, "cursor", "The cursor", max_chars=1000)  # PostgreSQL refuses a NUL
        else:
            raise ValueError(value)
        python = field.to_python(value)
        if isinstance(python, datetime) and python.utcoffset() != timedelta(0):
            # This module writes the database's times, which are UTC. Any other offset is hand-made,
            # and near year 1 or 9999 (0001-01-01T00:00:00-23:59) the query cannot even convert it.
            raise ValueError(value)
        return direction, python, pk
    # TaskInputError is a ValueError; RecursionError: JSON nested deeper than the parser goes.
    except (binascii.Error, ValueError, TypeError, ValidationError, OverflowError, RecursionError):
        raise TaskInputError(BAD_CURSOR, field="cursor") from None


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
