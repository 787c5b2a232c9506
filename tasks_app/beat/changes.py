"""Which periodic tasks changed since beat read them, without reading every row in full.

django-celery-beat tells beat only *that* something changed (one counter for all rows). One query
of each enabled row's schedule fields (no entries built, no schedule rows fetched one by one) tells
*which*: the rows whose fields differ from what beat loaded, and the rows it loaded that are no
longer enabled. Only those are then read in full.
"""

from __future__ import annotations

from collections.abc import Iterator

# What a row's entry is built from: a row whose values here are unchanged needs no rebuilding.
# Not last_run_at and total_run_count: beat writes those itself (a new leader rereads everything).
SCHEDULE_FIELDS = (
    "id",
    "task",
    "args",
    "kwargs",
    "queue",
    "exchange",
    "routing_key",
    "priority",
    "headers",
    "expires",
    "expire_seconds",
    "one_off",
    "start_time",
    "enabled",
    "interval_id",
    "interval__every",
    "interval__period",
    "crontab_id",
    "crontab__minute",
    "crontab__hour",
    "crontab__day_of_week",
    "crontab__day_of_month",
    "crontab__month_of_year",
    "crontab__timezone",
    "solar_id",
    "solar__event",
    "solar__latitude",
    "solar__longitude",
    "clocked_id",
    "clocked__clocked_time",
    "run_limit__max_runs",
)
READ_IN_CHUNKS_OF = 500  # rows read in full per query when many changed at once


def schedule_fields(enabled_rows) -> dict[str, tuple]:
    """Each enabled row's schedule fields, by name, in one query."""
    return {name: tuple(values) for name, *values in enabled_rows.values_list("name", *SCHEDULE_FIELDS)}


def compare(loaded: dict[str, tuple], current: dict[str, tuple]) -> tuple[list[str], list[str]]:
    """The names of rows new or changed since `loaded`, and of loaded rows no longer enabled."""
    changed = [name for name, values in current.items() if loaded.get(name) != values]
    gone = [name for name in loaded if name not in current]
    return changed, gone


def read_rows(enabled_rows, names: list[str]) -> Iterator:
    """The named rows in full (schedules prefetched), a chunk of names per query."""
    for start in range(0, len(names), READ_IN_CHUNKS_OF):
        yield from enabled_rows.filter(name__in=names[start : start + READ_IN_CHUNKS_OF])
