"""Every list is a bounded keyset page (tasks_app.selectors.pagination): the home page, the periodic pages,
the tasks list and the API page both ways, never run a COUNT or an OFFSET, and say clearly when a
cursor or a date is not one they can use."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tasks_app.models import TaskRecord

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def records(count: int, periodic: str = "") -> list[str]:
    """`count` tasks, one a minute from START; their ids newest first."""
    TaskRecord.objects.bulk_create(
        TaskRecord(task_id=f"task-{n:04d}", task_name="echo", queue="q", periodic_task_name=periodic)
        for n in range(count)
    )
    for n in range(count):
        TaskRecord.objects.filter(task_id=f"task-{n:04d}").update(created_at=START + timedelta(minutes=n))
    return [f"task-{n:04d}" for n in reversed(range(count))]


def periodic_tasks(count: int) -> list[str]:
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    names = [f"job {n:03d}" for n in range(count)]
    PeriodicTask.objects.bulk_create(
        PeriodicTask(name=name, task="tasks_app.tasks.echo", interval=every) for name in names
    )
    return names


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', html)
    return found and found.group(1).replace("&amp;", "&")


def walk(client, path: str, pattern: str) -> tuple[list[list[str]], list[list[str]]]:
    """Each page's items (found by `pattern`) following rel=next to the end, then back by rel=prev."""
    forth, url = [], path
    while True:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        forth.append(re.findall(pattern, html))
        if not link(html, "next"):
            break
        url = path + link(html, "next")
    back = [forth[-1]]
    while link(html, "prev"):
        html = client.get(path + link(html, "prev")).content.decode()
        back.append(re.findall(pattern, html))
    return forth, back[::-1]


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


TASK = r'<code title="(task-\d+)">'
PERIODIC = r'<a href="/periodic/\d+/">(job \d+)</a>'


def test_the_home_page_pages_recent_tasks_both_ways(client):
    expected = records(45)
    forth, back = walk(client, "/", TASK)
    assert [len(page) for page in forth] == [20, 20, 5]
    assert flat(forth) == expected
    assert back == forth


def test_a_periodic_tasks_runs_page_both_ways(client):
    expected = records(30, periodic="job 000")
    TaskRecord.objects.create(task_id="task-9999", task_name="echo", queue="q")  # not one of its runs
    periodic_tasks(1)
    task = PeriodicTask.objects.get(name="job 000")
    forth, back = walk(client, f"/periodic/{task.pk}/", TASK)
    assert flat(forth) == expected and [len(page) for page in forth] == [20, 10]
    assert back == forth


def test_the_periodic_list_pages_by_name_both_ways(client):
    names = periodic_tasks(60)
    forth, back = walk(client, "/periodic/", PERIODIC)
    assert [len(page) for page in forth] == [25, 25, 10]
    assert flat(forth) == names
    assert back == forth


def test_the_home_page_shows_the_first_periodic_tasks_and_links_to_the_rest(client):
    names = periodic_tasks(11)
    html = client.get("/").content.decode()
    assert re.findall(PERIODIC, html) == names[:10]
    assert '<a href="/periodic/">More periodic tasks…</a>' in html
    PeriodicTask.objects.filter(name=names[-1]).delete()
    assert "More periodic tasks" not in client.get("/").content.decode()


def test_the_periodic_api_pages_both_ways(client):
    names = periodic_tasks(7)
    pages, url = [], "/api/periodic/?limit=3"
    while url:
        body = client.get(url).json()
        pages.append(body)
        url = body["next"]
    assert [[task["name"] for task in page["results"]] for page in pages] == [names[:3], names[3:6], names[6:]]
    assert pages[0]["previous"] is None
    back = client.get(pages[-1]["previous"]).json()
    assert back["results"] == pages[1]["results"] and "limit=3" in pages[-1]["previous"]


# --- No COUNT, no OFFSET ---------------------------------------------------------------------

LISTED = r'FROM "(TASKS_APP_TASKRECORD|DJANGO_CELERY_BEAT_PERIODICTASK)"'
# A periodic task's runs counted up to a cap (periodic.with_run_stats): a count of a LIMITed read.
BOUNDED_COUNT = re.compile(r"SELECT COUNT\(\*\) FROM \(SELECT [^()]* LIMIT \d+\) NEWEST")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/tasks/",
        "/tasks/?state=QUEUED",
        "/periodic/",
        "/periodic/{pk}/",
        "/api/tasks/?limit=5",
        "/api/periodic/?limit=5",
    ],
)
def test_no_list_counts_or_skips_rows_on_any_page(client, path):
    records(80, periodic="job 000")
    periodic_tasks(80)
    path = path.format(pk=PeriodicTask.objects.get(name="job 000").pk)
    for _ in range(3):  # the first page and two deeper ones
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        sql = [query["sql"].upper() for query in queries.captured_queries]
        assert not [s for s in sql if "COUNT(" in BOUNDED_COUNT.sub("", s) or "OFFSET" in s], sql
        # Each list asks for one page and the row after it: never every row.
        unbounded = [s for s in sql if re.search(LISTED, s) and " LIMIT " not in s]
        assert not unbounded, unbounded
        if path.startswith("/api/"):
            following = response.json()["next"]
        else:
            following = link(response.content.decode(), "next")
            following = following and path.split("?")[0] + following
        assert following
        path = following


# --- Clear errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/tasks/", "/periodic/", "/periodic/{pk}/"])
@pytest.mark.parametrize("cursor", ["garbage", "WyJuIiwxLDFd", "%00"])
def test_a_bad_cursor_is_a_400_page_that_says_so(client, path, cursor):
    task = PeriodicTask.objects.create(
        name="job", task="tasks_app.tasks.echo", interval=IntervalSchedule.objects.create(every=1, period="hours")
    )
    response = client.get(path.format(pk=task.pk) + f"?cursor={cursor}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="cursor"' in html
    assert "The cursor is not one this site gave out; start again from the first page." in html


def test_a_cursor_from_another_list_is_refused(client):
    periodic_tasks(3)
    next_url = client.get("/api/periodic/?limit=1").json()["next"]
    cursor = next_url.split("cursor=")[1]
    response = client.get(f"/api/tasks/?cursor={cursor}")
    assert response.status_code == 400 and response.json()["field"] == "cursor"


@pytest.mark.parametrize(
    "zone, query, field",
    [
        ("UTC", "date_to=9999-12-31", "date_to"),  # the day after does not exist
        ("UTC", "date_from=2026-01-01&date_to=9999-12-31", "date_to"),
        ("Europe/Paris", "date_from=0001-01-01", "date_from"),  # its start is before year 1 in UTC
    ],
)
def test_a_date_at_the_end_of_time_is_a_400_not_a_500(client, settings, zone, query, field):
    settings.TIME_ZONE = zone
    response = client.get(f"/api/tasks/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "out of range" in response.json()["error"]
    page = client.get(f"/tasks/?{query}")
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.content.decode()


def test_the_last_representable_days_still_filter(client):
    records(2)
    assert client.get("/api/tasks/?date_to=9999-12-30").json()["results"]
    assert client.get("/tasks/?date_from=0002-01-01").status_code == 200
