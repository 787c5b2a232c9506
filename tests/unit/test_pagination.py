"""tasks_app.selectors.pagination: keyset pages over (sort key, id) both ways, ties and all, and cursors
checked strictly."""

import base64
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from hypothesis import HealthCheck, event, given, settings

from tasks_app.models import TaskRecord
from tasks_app.selectors import pagination
from tasks_app.validation import TaskInputError
from tests.support.cursors import FAR_OFFSET, cursors, made

pytestmark = pytest.mark.django_db


def record(n: int, created_at) -> TaskRecord:
    task = TaskRecord.objects.create(task_id=f"t{n:02}", task_name="echo", args=[n], queue="q")
    TaskRecord.objects.filter(pk=task.pk).update(created_at=created_at)  # auto_now_add ignores a given value
    return task


def walk(queryset, order: str, limit: int) -> tuple[list[list], list[list]]:
    """Every page following `next`, then back following `previous`: the keys of each page."""
    forth, page = [], pagination.paginate(queryset, order, limit=limit)
    assert page.previous_cursor is None
    while True:
        forth.append(list(page))
        if page.next_cursor is None:
            break
        page = pagination.paginate(queryset, order, page.next_cursor, limit)
    back = [list(page)]
    while page.previous_cursor is not None:
        page = pagination.paginate(queryset, order, page.previous_cursor, limit)
        back.append(list(page))
    return forth, back[::-1]


def test_pages_follow_the_order_both_ways_and_break_ties_by_id():
    now = timezone.now()
    # Three share one instant, as a bulk insert's rows may: only the id tells them apart.
    second = timedelta(seconds=1)
    times = [now, now - second, now - second, now - second, now - timedelta(1)]
    for n, moment in enumerate(times):
        record(n, moment)
    newest_first = ["t00", "t03", "t02", "t01", "t04"]
    for order, expected in (("-created_at", newest_first), ("created_at", newest_first[::-1])):
        forth, back = walk(TaskRecord.objects.all(), order, 2)
        assert [[task.task_id for task in page] for page in forth] == [expected[:2], expected[2:4], expected[4:]]
        assert back == forth


def test_a_unique_key_pages_by_itself_both_ways():
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    for name in "edcba":
        PeriodicTask.objects.create(name=name, task="echo", interval=every)
    forth, back = walk(PeriodicTask.objects.all(), "name", 2)
    assert [[task.name for task in page] for page in forth] == [["a", "b"], ["c", "d"], ["e"]]
    assert back == forth


def test_links_keep_the_other_query_parameters_and_replace_the_cursor():
    for n in range(3):
        record(n, timezone.now())
    request = RequestFactory().get("/api/tasks/?state=SUCCESS&limit=1&cursor=old&task=")
    page = pagination.paginate(TaskRecord.objects.all(), "-id", limit=1).linked(request, full_path=True)
    assert page.next_url == f"/api/tasks/?state=SUCCESS&limit=1&cursor={page.next_cursor}"
    assert page.previous_url is None
    assert page.as_json(lambda task: task.task_id) == {"results": ["t02"], "next": page.next_url, "previous": None}
    on_a_page = pagination.paginate(TaskRecord.objects.all(), "-id", limit=1).linked(request, keep=("task",))
    assert on_a_page.next_url == f"?cursor={on_a_page.next_cursor}"


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",  # not base64
        "bm9wZQ",  # "nope": not JSON
        "WzEsMl0",  # [1, 2]: two parts, not three
        "WyJ4IiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsMV0",  # direction "x"
        "WyJuIiwxLDFd",  # a number for a date
        "WyJuIiwiMjAyNi0wMS0wMVQwMDowMDowMCIsMV0",  # a time without its zone
        "WyJuIiwiYVx1MDAwMGIiLDFd",  # a NUL
        "WyJuIiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # an id past 64 bits
        "WyJuIiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsdHJ1ZV0",  # true for an id
        "A" * 3000,  # far too long
    ],
)
def test_a_cursor_this_module_did_not_write_is_a_clear_error(cursor):
    with pytest.raises(TaskInputError) as raised:
        pagination.paginate(TaskRecord.objects.all(), "-created_at", cursor)
    assert raised.value.field == "cursor"
    assert raised.value.message == pagination.BAD_CURSOR


# The last: ARABIC-INDIC DIGIT ONE, a digit to str.isdigit.
@pytest.mark.parametrize("text", ["0", "101", "x", "-1", "1.5", "\u0661"])
def test_a_limit_outside_1_to_100_is_a_clear_error(text):
    with pytest.raises(TaskInputError) as raised:
        pagination.limit_from(text)
    assert raised.value.field == "limit"


# --- Hand-made cursors, fuzzed ----------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LISTS = [(TaskRecord.objects.all, "-created_at"), (PeriodicTask.objects.all, "name"), (TaskRecord.objects.all, "-id")]


def test_a_time_with_a_far_offset_is_refused_before_it_reaches_the_database():
    with pytest.raises(TaskInputError) as raised:
        pagination.paginate(TaskRecord.objects.all(), "-created_at", FAR_OFFSET)
    assert raised.value.message == pagination.BAD_CURSOR
    # Only UTC is written, so only UTC is read back: the same instant in another zone is refused too.
    with pytest.raises(TaskInputError):
        pagination.paginate(TaskRecord.objects.all(), "-created_at", made(["n", "2026-01-01T01:00:00+01:00", 1]))


def test_json_nested_past_the_parsers_depth_is_the_clear_error_not_a_crash():
    cursor = base64.urlsafe_b64encode(b"[" * 1400).decode()
    with pytest.raises(TaskInputError) as raised:
        pagination.paginate(TaskRecord.objects.all(), "-created_at", cursor)
    assert raised.value.message == pagination.BAD_CURSOR


@FUZZ
@given(cursor=cursors)
def test_any_cursor_is_a_page_or_the_one_clear_error(cursor):
    """Whatever a client sends as a cursor, the decoder gives a key the query can use (and the
    query runs) or the one clear error; never any other exception."""
    for rows, order in LISTS:
        try:
            page = pagination.paginate(rows(), order, cursor)
        except TaskInputError as refused:
            assert (refused.message, refused.field) == (pagination.BAD_CURSOR, "cursor")
            event("refused")
        else:
            assert page.items == []  # the tables are empty: the point is that the query ran
            event("accepted")


def test_every_cursor_the_site_writes_reads_back():
    task = TaskRecord.objects.get(pk=record(1, timezone.now()).pk)
    for key in ("created_at", "id"):
        cursor = pagination.encode(pagination.NEXT, task, key)
        direction, value, pk = pagination.decode(cursor, TaskRecord._meta.get_field(key))
        assert (direction, value, pk) == (pagination.NEXT, getattr(task, key), task.pk)
