"""Cursor pagination for the JSON API's lists: `?limit=&cursor=`, answered `{"results": [...], "next": url}`.

Keyset, not OFFSET: the cursor holds the last row's sort key and id, and the next page is the
rows after that pair, so a page costs the same at row 10 as at row 1,000,000 (with an index on
the sort key), rows added meanwhile neither repeat nor vanish, and no COUNT is ever run. The
cursor is opaque to clients (URL-safe base64 of JSON); only this module reads it.

    page = cursor.paginate(request, queryset, order="-created_at")
    return JsonResponse(page.as_json(to_json))
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from tasks_app import validation
from tasks_app.validation import TaskInputError

# As the task list's pages (tasks_app/task_list.py), so every list reads alike.
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list
    next: str | None  # the next page's URL (path and query), None on the last page

    def as_json(self, to_json: Callable) -> dict:
        return {"results": [to_json(item) for item in self.items], "next": self.next}


def paginate(request, queryset, order: str, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> Page:
    """One page of `queryset` sorted by the field `order` ("-created_at" for newest first), ties
    broken by primary key; the other query parameters of `request` (filters) carry over into `next`."""
    descending = order.startswith("-")
    key = order.lstrip("-")
    limit = _limit(request.GET.get("limit"), default_limit, max_limit)
    queryset = queryset.order_by(order, "-pk" if descending else "pk")
    raw = request.GET.get("cursor")
    if raw:
        value, pk = _decode(raw, queryset.model._meta.get_field(key))
        after = "lt" if descending else "gt"
        queryset = queryset.filter(Q(**{f"{key}__{after}": value}) | Q(**{key: value, f"pk__{after}": pk}))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, page_url(request, _encode(getattr(last, key), last.pk)))


def page_url(request, cursor: str | None) -> str | None:
    """This list's URL at `cursor`, its other query parameters (filters, limit) kept; None for None."""
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"


def _limit(text, default: int, maximum: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise TaskInputError(f"The limit must be a whole number from 1 to {maximum}.", field="limit")
    return int(text)


def _encode(value, pk) -> str:
    text = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(raw: str, field) -> tuple:
    """The (sort key, id) a cursor holds, as the field's Python value; a 400 for anything else."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        value, pk = json.loads(text)
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= validation.MAX_INTEGER:
            raise ValueError(pk)
        # Only what this module writes: text free of control characters (PostgreSQL refuses NUL)
        # or a 64-bit number (SQLite overflows past one).
        if isinstance(value, str):
            validation.check_text(value, "cursor", "The cursor", max_chars=1000)
        elif not (isinstance(value, int) and not isinstance(value, bool) and abs(value) <= validation.MAX_INTEGER):
            raise ValueError(value)
        return field.to_python(value), pk
    except (binascii.Error, ValueError, TypeError, ValidationError):  # TaskInputError is a ValueError
        raise TaskInputError(
            "The cursor is not one this API gave out; use the `next` URL of the previous page as it is.",
            field="cursor",
        ) from None
