"""Cursors a client could make by hand, for fuzzing the keyset paginator (tasks_app.selectors.pagination):
every field of `["n" or "p", sort key, id]` as the site writes it, near it, or any JSON at all."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from hypothesis import strategies as st

from tasks_app.selectors import pagination


def made(value) -> str:
    """A cursor as a client could make one: any JSON value, URL-safe base64 without its padding."""
    text = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# A hand-made cursor: a time whose offset, applied to year 1, leaves the calendar.
FAR_OFFSET = made(["n", "0001-01-01T00:00:00-23:59", 1])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
iso_times = st.builds(
    lambda moment, offset, spec: moment.replace(tzinfo=dt_timezone(offset)).isoformat(timespec=spec),
    st.datetimes(min_value=datetime.min, max_value=datetime.max),
    offsets,
    st.sampled_from(["auto", "seconds", "microseconds"]),
) | st.datetimes().map(datetime.isoformat)
# Each of the three fields as the site writes it, near it, or any other JSON value at all.
directions = st.sampled_from([pagination.NEXT, pagination.PREVIOUS]) | json_values
keys = iso_times | st.text(max_size=40) | st.integers() | json_values
ids = st.integers(min_value=-(2**70), max_value=2**70) | json_values
cursors = (
    # Each field right but one, or all right: the decoder's every check is reached.
    st.tuples(st.sampled_from([pagination.NEXT, pagination.PREVIOUS]), iso_times, st.integers(min_value=-5)).map(
        lambda parts: made(list(parts))
    )
    | st.tuples(directions, keys, ids).map(lambda parts: made(list(parts)))
    | st.lists(st.one_of(directions, keys, ids), max_size=5).map(made)
    | json_values.map(made)
    | st.binary(max_size=200).map(lambda raw: base64.urlsafe_b64encode(raw).decode())
    | st.text(max_size=60)
    # Nesting: closed, up to what fits in a cursor; or open, deeper than the JSON parser recurses.
    | st.integers(min_value=1, max_value=700).map(lambda depth: made(json.loads("[" * depth + "]" * depth)))
    | st.integers(min_value=0, max_value=1400).map(lambda depth: base64.urlsafe_b64encode(b"[" * depth).decode())
)
