"""The tasks list exported whole, as CSV or JSON: the rows that `/tasks/`, `GET /api/tasks/export/` and
`manage.py export_tasks` stream, never the whole table in memory.

Rows are read in keyset pages (tasks_app.selectors.pagination, through task_list.page: the same
visibility and filters as the list), newest first, and the export stops after settings.TASK_EXPORT_MAX_ROWS
rows. The JSON export says whether it stopped early (`truncated`); the CSV one cannot, so the page
names the cap beside the links. CSV cells that a spreadsheet would read as a formula (= + - @, and the
tab and carriage return that hide them) are prefixed with an apostrophe (OWASP's advice); the csv
module does the quoting.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

from tasks_app import catalog
from tasks_app.lib.formats import iso
from tasks_app.selectors import task_list
from tasks_app.validation import TaskInputError

FORMATS = ("json", "csv")
PAGE_ROWS = 500  # one query's worth: small enough to stream, large enough to keep round trips few
COLUMNS = ("id", "task", "state", "queue", "periodic_task", "retry_of", "retried_as", "enqueued_at")
CHUNK_CHARS = 64 * 1024  # what the response hands the web tier at a time
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def max_rows() -> int:
    return settings.TASK_EXPORT_MAX_ROWS


def row(record) -> dict:
    """One task as both exports write it (the same fields as GET /api/tasks/ lists, but its URL)."""
    return {
        "id": record.task_id,
        "task": record.task_name,
        "state": record.state,
        "queue": catalog.short_queue(record.queue),
        "periodic_task": record.periodic_task_name or None,
        "retry_of": record.retry_of_id,
        "retried_as": record.retried_as,
        "enqueued_at": iso(record.created_at),
    }


def records(user, cleaned_filters: dict | None, limit: int | None = None) -> Iterator:
    """The tasks `user` may see that the filters select, newest first, page by page, at most `limit`
    (TASK_EXPORT_MAX_ROWS) of them; then one last item, True when more were left out."""
    limit = max_rows() if limit is None else limit
    cursor, given = "", 0
    while True:
        page = task_list.page(user, cleaned_filters, cursor, min(PAGE_ROWS, limit - given + 1))
        for record in page:
            if given == limit:
                yield True
                return
            given += 1
            yield record
        if not page.has_more:
            yield False
            return
        cursor = page.next_cursor


def safe_cell(value) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def as_csv(found: Iterator) -> Iterator[str]:
    """A header line, then one line per task (the last item of `found`, the truncation flag, is dropped)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(COLUMNS)
    for item in found:
        if not isinstance(item, bool):
            yield line(safe_cell(value) for value in row(item).values())


def as_json(found: Iterator) -> Iterator[str]:
    """`{"max_rows": N, "results": [...], "truncated": bool}`, written a row at a time."""
    yield f'{{"max_rows": {max_rows()}, "results": ['
    first = True
    for item in found:
        if isinstance(item, bool):
            yield f'], "truncated": {json.dumps(item)}}}\n'
            return
        yield ("" if first else ",\n") + json.dumps(row(item), ensure_ascii=False)
        first = False


def format_from(text: str | None) -> str:
    """The `format` parameter: json (the default, also when sent empty: what a generated client parses)
    or csv; else TaskInputError."""
    text = (text or "").strip() or "json"
    if text not in FORMATS:
        raise TaskInputError("The export format must be csv or json.", field="format")
    return text


def filename(format: str) -> str:
    return f"tasks-{timezone.now():%Y%m%d-%H%M%S}.{format}"


def chunks(lines: Iterator[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """`lines` joined into pieces of about `size` characters: the web tier hands each piece to the
    event loop (helloworld.asgi), so a piece a row would cost a thread hop a row."""
    piece: list[str] = []
    held = 0
    for line in lines:
        piece.append(line)
        held += len(line)
        if held >= size:
            yield "".join(piece)
            piece, held = [], 0
    if piece:
        yield "".join(piece)


def stream(user, cleaned_filters: dict | None, format: str) -> Iterator[str]:
    found = records(user, cleaned_filters)
    return chunks(as_csv(found) if format == "csv" else as_json(found))
