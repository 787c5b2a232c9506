"""tasks_app.cursor: keyset pages over (sort key, id), newest first, ties and all."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from tasks_app import cursor
from tasks_app.models import TaskRecord
from tasks_app.validation import TaskInputError

pytestmark = pytest.mark.django_db


def record(n: int, created_at) -> TaskRecord:
    task = TaskRecord.objects.create(task_id=f"t{n:02}", task_name="echo", args=[n], queue="q")
    TaskRecord.objects.filter(pk=task.pk).update(created_at=created_at)  # auto_now_add ignores a given value
    return task


def walk(path: str, order: str) -> tuple[list[str], int]:
    """Every page from `path` on, following `next`: the ids in order and how many pages."""
    ids, pages = [], 0
    while path:
        page = cursor.paginate(RequestFactory().get(path), TaskRecord.objects.all(), order=order)
        ids += [task.task_id for task in page.items]
        path, pages = page.next, pages + 1
    return ids, pages


def test_pages_follow_the_order_and_break_ties_by_id():
    now = timezone.now()
    # Three share one instant, as a bulk insert's rows may: only the id tells them apart.
    times = [
        now,
        now - timedelta(seconds=1),
        now - timedelta(seconds=1),
        now - timedelta(seconds=1),
        now - timedelta(1),
    ]
    created = [record(n, moment) for n, moment in enumerate(times)]
    assert len(created) == 5
    newest_first = ["t00", "t03", "t02", "t01", "t04"]
    assert walk("/api/tasks/?limit=2", "-created_at") == (newest_first, 3)
    assert walk("/api/tasks/?limit=2", "created_at") == (list(reversed(newest_first)), 3)
    assert walk("/api/tasks/?limit=5", "-created_at") == (newest_first, 1)


def test_next_keeps_the_other_query_parameters():
    for n in range(3):
        record(n, timezone.now())
    page = cursor.paginate(RequestFactory().get("/api/tasks/?state=SUCCESS&limit=1"), TaskRecord.objects.all(), "-id")
    assert page.next.startswith("/api/tasks/?state=SUCCESS&limit=1&cursor=")
    assert page.as_json(lambda task: task.task_id) == {"results": ["t02"], "next": page.next}


@pytest.mark.parametrize(
    "query",
    [
        "cursor=%%%",
        "cursor=bm9wZQ",
        "cursor=WzEsMl0",
        "cursor=WyJhXHUwMDAwYiIsMV0",
        "cursor=WzEsOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",
    ],
)
def test_a_cursor_this_module_did_not_write_is_a_clear_error(query):
    # Not base64, not JSON ("nope"), a number for a date, a NUL in the key, an id past 64 bits.
    request = RequestFactory().get(f"/api/tasks/?{query}")
    with pytest.raises(TaskInputError) as raised:
        cursor.paginate(request, TaskRecord.objects.all(), order="-created_at")
    assert raised.value.field == "cursor"
