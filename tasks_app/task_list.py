"""The tasks list: every task the site sent, newest first, filtered, one page at a time.

Pages are cut by keyset on (created_at, id), never by OFFSET, and nothing counts the table: a
page is an index scan from the cursor that stops after one row more than the page holds (that
row says whether an older page exists). Each filter narrows a column that leads an index in the
same order (see TaskRecord.Meta.indexes), the state included: it is mirrored onto the record
(tasks_app.state_sync), because a join on django-celery-results' table made a rare state walk
the whole list. The states the page shows are read from the result rows, the truth.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date

from tasks_app import catalog, status, validation
from tasks_app.validation import TaskInputError

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

# What a person may filter on: the site's QUEUED, Celery's states, and the site's PROGRESS.
STATES = (status.QUEUED, "STARTED", status.PROGRESS, "RETRY", "SUCCESS", "FAILURE", "REVOKED")


@dataclass(frozen=True)
class Filters:
    task: str = ""
    state: str = ""
    queue: str = ""  # the broker's queue name
    periodic: str = ""  # a periodic task's name
    date_from: datetime | None = None  # inclusive, the start of a day in the site's zone
    date_to: datetime | None = None  # exclusive, the start of the day after the last one asked for
    id: str = ""  # a task id or its beginning

    # The query string that reproduces these filters (links to the next page keep them).
    params: dict = field(default_factory=dict, compare=False)

    def __bool__(self):
        return bool(self.params)


FILTER_FIELDS = ("task", "state", "queue", "periodic", "date_from", "date_to", "id")


def _text(params, name: str, subject: str) -> str:
    value = params.get(name, "")
    if not isinstance(value, str):
        raise TaskInputError(f"{subject} must be text.", field=name)
    return validation.check_text(value.strip(), name, subject)


def _day(params, name: str, subject: str, tz) -> datetime | None:
    text = _text(params, name, subject)
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise TaskInputError(f"{subject} must be a date such as 2026-01-31, not {validation.short_repr(text)}.", name)
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def parse_filters(params, tz) -> Filters:
    """Filters from a query string (the page's and the API's alike); TaskInputError names the bad one."""
    task = _text(params, "task", "The task name")
    if task:
        catalog.get(task)  # the same message as the form for an unknown task
    state = _text(params, "state", "The state").upper()
    if state and state not in STATES:
        raise TaskInputError(
            f"Unknown state {validation.short_repr(state)}; choose one of: {', '.join(STATES)}.", "state"
        )
    queue = _text(params, "queue", "The queue name")
    date_from = _day(params, "date_from", "The first date", tz)
    date_to = _day(params, "date_to", "The last date", tz)
    if date_to is not None:
        date_to = timezone.make_aware(datetime.combine(date_to.date() + timedelta(days=1), time.min), tz)
    if date_from and date_to and date_from >= date_to:
        raise TaskInputError("The first date comes after the last date.", field="date_from")
    given = {name: params.get(name).strip() for name in FILTER_FIELDS if (params.get(name) or "").strip()}
    return Filters(
        task=task,
        state=state,
        queue=catalog.queue_name(queue) if queue else "",
        periodic=_text(params, "periodic", "The periodic task's name"),
        date_from=date_from,
        date_to=date_to,
        id=_text(params, "id", "The task id"),
        params=given,
    )


def apply(records, filters: Filters):
    """The TaskRecord queryset narrowed by the filters (ordering and paging are `page`'s)."""
    if filters.task:
        records = records.filter(task_name=filters.task)
    if filters.queue:
        records = records.filter(queue=filters.queue)
    if filters.periodic:
        records = records.filter(periodic_task_name=filters.periodic)
    if filters.date_from:
        records = records.filter(created_at__gte=filters.date_from)
    if filters.date_to:
        records = records.filter(created_at__lt=filters.date_to)
    if filters.id:
        # A prefix: the unique index on task_id serves it (PostgreSQL: its varchar_pattern_ops twin).
        records = records.filter(task_id__startswith=filters.id)
    if filters.state:
        records = records.filter(state=filters.state)  # mirrored from the result rows: tasks_app.state_sync
    return records


# --- Cursors -------------------------------------------------------------------------------
# A cursor is the (created_at, id) of the row a page ends or starts at, and which way to read:
# "o" for older rows (the next page), "n" for newer ones (the previous page). Opaque to clients.

OLDER, NEWER = "o", "n"


def encode_cursor(direction: str, record) -> str:
    text = f"{direction}|{record.created_at.isoformat()}|{record.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, datetime, int]:
    bad = TaskInputError("The cursor is not one this site gave out; start again from the first page.", "cursor")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, moment, pk = text.split("|")
        moment, pk = datetime.fromisoformat(moment), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if direction not in (OLDER, NEWER) or moment.tzinfo is None:
        raise bad
    return direction, moment, pk


@dataclass
class Page:
    records: list
    newer_cursor: str | None  # None: this is the newest page
    older_cursor: str | None  # None: nothing older


def page(records, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """One page of `records` (already filtered), newest first, with each record's `state` set.

    Two queries: the page (one more row than it shows, to know whether more follow) and the
    states of its rows.
    """
    direction, moment, pk = decode_cursor(cursor) if cursor else (OLDER, None, None)
    newest_first = records.order_by("-created_at", "-id")
    if moment is None:
        rows = list(newest_first[: size + 1])
        more, newer_exists = len(rows) > size, False
    elif direction == OLDER:
        # The redundant created_at <= bound keeps the OR inside one index range on PostgreSQL.
        older = Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk)
        rows = list(newest_first.filter(older, created_at__lte=moment)[: size + 1])
        more, newer_exists = len(rows) > size, True
    else:
        newer = Q(created_at__gt=moment) | Q(created_at=moment, id__gt=pk)
        rows = list(records.filter(newer, created_at__gte=moment).order_by("created_at", "id")[: size + 1])
        newer_exists, more = len(rows) > size, True
        rows = rows[:size][::-1]
    rows = rows[:size]
    found = status.states(record.task_id for record in rows)
    for record in rows:
        record.state = found[record.task_id]
    return Page(
        records=rows,
        newer_cursor=encode_cursor(NEWER, rows[0]) if rows and newer_exists else None,
        older_cursor=encode_cursor(OLDER, rows[-1]) if rows and more else None,
    )


def page_size(text) -> int:
    if text in (None, ""):
        return PAGE_SIZE
    try:
        size = int(text)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise TaskInputError(f"The page size must be a whole number from 1 to {MAX_PAGE_SIZE}.", field="limit")
    return size
