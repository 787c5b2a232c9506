"""The tasks list (`/tasks/` and `GET /api/tasks/`): filters, cursor pages, who sees what, and a
bounded number of queries per page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from helloworld import brokers
from tasks_app import catalog, services
from tasks_app.models import TaskRecord
from tests.support.celery import app_on_broker
from tests.support.users import logged_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(n: int, task="echo", queue="default", periodic="", owner=None, state=None, at=None) -> TaskRecord:
    """Task number n, sent n minutes after START (so a higher n is newer)."""
    created = TaskRecord.objects.create(
        task_id=f"task-{n:04d}",
        task_name=task,
        args=[n],
        queue=settings.QUEUES[queue],
        periodic_task_name=periodic,
        owner=owner,
    )
    # auto_now_add ignores a given value: set the time afterwards.
    TaskRecord.objects.filter(pk=created.pk).update(created_at=at or START + timedelta(minutes=n))
    if state:
        TaskResult.objects.create(task_id=created.task_id, status=state)
    return created


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def mixed():
    """Twelve tasks of every kind: numbers 1..12, newest is 12."""
    for n in range(1, 13):
        record(
            n,
            task="fetch_url" if n % 3 == 0 else "echo",
            queue="high" if n % 4 == 0 else "default",
            periodic="nightly" if n in (5, 6) else "",
            state={1: "SUCCESS", 2: "FAILURE", 7: "STARTED", 8: "REVOKED"}.get(n),
        )


def test_the_api_lists_every_task_newest_first_with_its_state(client, mixed):
    response = client.get("/api/tasks/")
    assert response.status_code == 200
    assert ids(response) == [f"task-{n:04d}" for n in range(12, 0, -1)]
    states = {item["id"]: item["state"] for item in response.json()["results"]}
    assert states["task-0001"] == "SUCCESS" and states["task-0008"] == "REVOKED" and states["task-0012"] == "QUEUED"
    assert response.json()["next"] is None and response.json()["previous"] is None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("task=fetch_url", [12, 9, 6, 3]),
        ("queue=high", [12, 8, 4]),
        ("periodic=nightly", [6, 5]),
        ("state=QUEUED", [12, 11, 10, 9, 6, 5, 4, 3]),
        ("state=FAILURE", [2]),
        ("state=STARTED", [7]),
        ("id=task-001", [12, 11, 10]),
        ("id=task-0007", [7]),
        ("task=echo&state=REVOKED&queue=high", [8]),
        ("date_from=2026-03-01&date_to=2026-03-01", list(range(12, 0, -1))),
        ("date_from=2026-03-02", []),
    ],
)
def test_each_filter_narrows_the_list(client, mixed, query, expected):
    response = client.get(f"/api/tasks/?{query}")
    assert response.status_code == 200, response.content
    assert ids(response) == [f"task-{n:04d}" for n in expected]


def test_date_filters_are_whole_days_in_the_site_time_zone(client, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-5 in March before the change
    record(1, at=datetime(2026, 3, 2, 4, 59, tzinfo=UTC))  # 23:59 on 1 March in New York
    record(2, at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC))  # 00:00 on 2 March
    assert ids(client.get("/api/tasks/?date_to=2026-03-01")) == ["task-0001"]
    assert ids(client.get("/api/tasks/?date_from=2026-03-02")) == ["task-0002"]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("state=DONE", "state", "Unknown state 'DONE'; choose one of: QUEUED, STARTED"),
        (
            "task=nope",
            "task",
            f"Unknown task 'nope'; choose one of: {', '.join(sorted(catalog.ENTRIES))}.",
        ),
        ("queue=urgent", "queue", f"Unknown queue 'urgent'; choose one of: {', '.join(settings.QUEUES)}."),
        ("date_from=yesterday", "date_from", "The first date must be a date such as 2026-01-31"),
        ("date_from=2026-02-30", "date_from", "The first date must be a date such as 2026-01-31"),
        ("date_from=2026-03-02&date_to=2026-03-01", "date_from", "The first date comes after the last date."),
        ("cursor=garbage", "cursor", "The cursor is not one this site gave out"),
        ("limit=0", "limit", "The page size must be a whole number from 1 to 100."),
        ("date_to=9999-12-31", "date_to", "The last date is out of range"),
        ("id=%00", "id", "The task id contains the control character U+0000"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(client, query, field, message):
    response = client.get(f"/api/tasks/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"].startswith(message)
    if field == "limit":
        return  # the page has a fixed size
    page = client.get(f"/tasks/?{query}")
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.content.decode()


def test_cursor_pages_walk_older_and_back_newer_without_gaps_or_repeats(client):
    # Five tasks share one timestamp: the id breaks the tie, so a page edge inside them loses none.
    for n in range(1, 24):
        record(n, at=START + timedelta(minutes=min(n, 10)))
    expected = [f"task-{n:04d}" for n in sorted(range(1, 24), key=lambda n: (min(n, 10), n), reverse=True)]
    seen, pages, url = [], [], "/api/tasks/?limit=5"
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert seen == expected
    assert [len(page["results"]) for page in pages] == [5, 5, 5, 5, 3]
    assert pages[0]["previous"] is None
    # Back from the last page: the previous cursors give the same pages in reverse.
    body = pages[-1]
    for earlier in reversed(pages[:-1]):
        assert "limit=5" in body["previous"]  # the filters and the page size carry over
        body = client.get(body["previous"]).json()
        assert body["results"] == earlier["results"]
    assert body["previous"] is None


def test_a_new_task_does_not_shift_the_older_pages(client):
    for n in range(1, 8):
        record(n)
    first = client.get("/api/tasks/?limit=3").json()
    record(99)  # arrives while someone reads page one
    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == ["task-0004", "task-0003", "task-0002"]


def test_the_page_shows_filters_rows_and_keeps_filters_in_its_links(client):
    for n in range(1, 30):
        record(n, task="echo" if n % 2 else "fetch_url", state="SUCCESS" if n == 29 else None)
    page = client.get("/tasks/?task=echo")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('href="/tasks/task-') == 15  # 15 echo tasks
    assert "task-0029" in html and ">SUCCESS<" in html and "task-0028" not in html
    assert 'href="/tasks/"' in client.get("/").content.decode()  # the nav links here
    everything = client.get("/tasks/").content.decode()
    older = everything.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert older.startswith("?cursor=")
    filtered = client.get("/tasks/?task=fetch_url").content.decode()
    assert "Older" not in filtered  # 14 tasks: one page
    assert "No task matches these filters." in client.get("/tasks/?state=FAILURE").content.decode()


def test_markup_in_a_periodic_name_comes_back_escaped(client):
    record(1, periodic="<script>alert(1)</script>")
    html = client.get("/tasks/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# The page's rows, then their states (and, on the HTML page, the periodic tasks' names for the
# filter's suggestions): never a count of the table, never a query per row.
@pytest.mark.parametrize("path, budget", [("/tasks/", 3), ("/api/tasks/", 2)])
@pytest.mark.parametrize("query", ["", "state=QUEUED", "state=SUCCESS&task=echo", "queue=high&id=task-0"])
def test_a_page_takes_a_bounded_number_of_queries_however_deep(
    client, django_assert_max_num_queries, path, budget, query
):
    for n in range(1, 120):
        record(n, queue="high" if n % 2 else "default", state="SUCCESS" if n % 3 == 0 else None)
    cursor, pages = "", 0
    while pages < 3:  # the first page and two deeper ones, where there are that many
        with django_assert_max_num_queries(budget):
            response = client.get(f"{path}?{query}&cursor={cursor}")
        assert response.status_code == 200
        pages += 1
        if path == "/api/tasks/":
            found = re.search(r"cursor=([^&]+)", response.json()["next"] or "")
        else:
            found = re.search(r'href="\?[^"]*cursor=([^"&]+)" rel="next"', response.content.decode())
        cursor = found and found.group(1)
        if not cursor:
            break
    assert pages == 3 or query == "state=SUCCESS&task=echo"  # only that one fits on fewer pages


# --- Who sees what ---------------------------------------------------------------------------


def test_in_production_a_user_lists_only_their_own_tasks_and_staff_list_all(production, client, alice, bob, staff):
    alice_client, staff_client = logged_in(alice), logged_in(staff)
    record(1, owner=alice)
    record(2, owner=bob)
    record(3)  # beat's or the CLI's: no owner
    assert ids(alice_client.get("/api/tasks/")) == ["task-0001"]
    assert ids(alice_client.get("/api/tasks/?id=task-0002")) == []
    assert ids(staff_client.get("/api/tasks/")) == ["task-0003", "task-0002", "task-0001"]
    html = alice_client.get("/tasks/").content.decode()
    assert "task-0001" in html and "task-0002" not in html and "task-0003" not in html


def test_in_production_anonymous_visitors_log_in_first(production, client):
    assert client.get("/tasks/")["Location"] == "/accounts/login/?next=/tasks/"
    response = client.get("/api/tasks/")
    assert response.status_code == 401 and "Log in" in response.json()["error"]


def test_the_collection_still_takes_posts_and_refuses_other_methods(client):
    assert client.put("/api/tasks/", data="{}", content_type="application/json").status_code == 405
    response = client.post("/api/tasks/", data='{"task": "nope"}', content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "task"


# --- The state the filter reads --------------------------------------------------------------


def test_the_state_filter_follows_every_state_a_result_row_takes(client):
    record(1)
    for state in ("STARTED", "PROGRESS", "RETRY", "FAILURE"):
        TaskResult.objects.update_or_create(task_id="task-0001", defaults={"status": state})
        assert ids(client.get(f"/api/tasks/?state={state}")) == ["task-0001"]
        assert ids(client.get("/api/tasks/?state=QUEUED")) == []


def test_a_result_written_before_its_record_is_committed_still_reaches_the_filter(
    client, tmp_path, django_capture_on_commit_callbacks
):
    # services.enqueue commits the record before it publishes, unless the caller holds a transaction
    # (as this test does): then a fast worker may report before the record is visible, and its
    # state mirror finds nothing to update. Written here without the mirror, as that report would be.
    broker = brokers.filesystem(tmp_path)  # a broker of this test's own, which no worker reads
    with app_on_broker(broker.url, broker.transport_options), django_capture_on_commit_callbacks(execute=True):
        sent = services.enqueue("echo", ["hello"])
        TaskResult.objects.bulk_create([TaskResult(task_id=sent.task_id, status="SUCCESS")])
        assert TaskRecord.objects.get(task_id=sent.task_id).state == "QUEUED"
    assert ids(client.get("/api/tasks/?state=SUCCESS")) == [sent.task_id]


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_a_real_worker_run_moves_the_task_between_state_filters(client, celery_worker):
    response = client.post("/api/tasks/", data='{"task": "echo", "args": ["x"]}', content_type="application/json")
    task_id = response.json()["id"]

    def listed_as_success():
        return ids(client.get("/api/tasks/?state=SUCCESS")) == [task_id]

    wait_for(listed_as_success, timeout=20, message="the task to be listed under SUCCESS")
    assert ids(client.get("/api/tasks/?state=QUEUED")) == []
