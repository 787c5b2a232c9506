"""Exporting the tasks list (`/tasks/export/`, `GET /api/tasks/export/`, `manage.py export_tasks`): CSV
and JSON with the list's rows, narrowed by its filters, only what the user may see, at most
TASK_EXPORT_MAX_ROWS rows, streamed, and no cell a spreadsheet would run as a formula."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks_app.selectors import export
from tests.pages.test_task_list import record
from tests.support.users import logged_in

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.streaming, "an export is streamed, never built whole"
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="tasks-')
    return list(csv.DictReader(io.StringIO(body(response))))


def test_csv_and_json_hold_the_filtered_list_newest_first(client):
    for n in range(1, 6):
        record(n, task="fetch_url" if n % 2 else "echo", state="FAILURE" if n == 3 else None)
    rows = csv_rows(client.get("/tasks/export/?format=csv&task=fetch_url"))
    assert [row["id"] for row in rows] == ["task-0005", "task-0003", "task-0001"]
    assert list(rows[0]) == list(export.COLUMNS)
    assert rows[1]["state"] == "FAILURE" and rows[0]["state"] == "QUEUED" and rows[0]["queue"] == "default"

    exported = json.loads(body(client.get("/tasks/export/?format=json&state=FAILURE")))
    assert [item["id"] for item in exported["results"]] == ["task-0003"]
    assert exported["truncated"] is False and exported["max_rows"] == export.max_rows()


def test_the_export_stops_at_the_maximum_and_says_so_in_json(client, settings):
    settings.TASK_EXPORT_MAX_ROWS = 3
    for n in range(1, 8):
        record(n)
    exported = json.loads(body(client.get("/api/tasks/export/?format=json")))
    assert [item["id"] for item in exported["results"]] == ["task-0007", "task-0006", "task-0005"]
    assert exported["truncated"] is True
    assert len(csv_rows(client.get("/api/tasks/export/?format=csv"))) == 3
    settings.TASK_EXPORT_MAX_ROWS = 7  # exactly as many as there are: not truncated
    assert json.loads(body(client.get("/api/tasks/export/")))["truncated"] is False


def test_rows_are_read_in_keyset_pages_across_page_boundaries(monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(export, "PAGE_ROWS", 2)
    for n in range(1, 6):
        record(n)
    with django_assert_num_queries(6):  # three pages of two rows at most, each its rows and their states
        found = list(export.records(_staff(), {}, limit=4))
    assert [item.task_id for item in found[:-1]] == ["task-0005", "task-0004", "task-0003", "task-0002"]
    assert found[-1] is True


def _staff():
    from types import SimpleNamespace

    return SimpleNamespace(is_authenticated=True, is_staff=True, pk=None)


def test_cells_that_start_a_formula_are_defused_and_quoting_is_right(client):
    record(1, periodic='=HYPERLINK("http://evil/","click"), "quoted"\nnext line')
    record(2, periodic="+1")
    record(3, periodic="@SUM(A1)")
    record(4, periodic="-2")
    rows = {row["id"]: row for row in csv_rows(client.get("/tasks/export/?format=csv"))}
    assert rows["task-0001"]["periodic_task"] == '\'=HYPERLINK("http://evil/","click"), "quoted"\nnext line'
    assert [rows[f"task-000{n}"]["periodic_task"] for n in (2, 3, 4)] == ["'+1", "'@SUM(A1)", "'-2"]
    assert len(rows) == 4  # the newline stayed inside its quoted cell


def test_bob_cannot_export_alices_tasks(production, alice, bob):
    record(1, owner=alice)
    record(2, owner=bob)
    for path in ("/tasks/export/?format=csv", "/api/tasks/export/?format=csv"):
        assert [row["id"] for row in csv_rows(logged_in(bob).get(path))] == ["task-0002"]
    exported = json.loads(body(logged_in(alice).get("/api/tasks/export/?format=json&id=task-0002")))
    assert exported["results"] == []


def test_bad_input_is_a_clear_refusal_not_a_download(client):
    refused = client.get("/api/tasks/export/?format=xlsx")
    assert refused.status_code == 400 and refused.json()["field"] == "format"
    refused = client.get("/api/tasks/export/?state=NOPE")
    assert refused.status_code == 400 and refused.json()["field"] == "state"
    page = client.get("/tasks/export/?format=xlsx&task=echo", follow=True)
    assert page.redirect_chain[0][0] == "/tasks/?task=echo"
    assert "The export format must be csv or json." in page.content.decode()


def test_the_list_links_its_exports_with_its_filters(client):
    record(1)
    html = client.get("/tasks/?task=echo").content.decode()
    assert 'href="/tasks/export/?format=csv&amp;task=echo"' in html
    assert 'href="/tasks/export/?format=json&amp;task=echo"' in html


def test_the_cli_exports_with_the_same_filters(capsys):
    record(1, task="fetch_url")
    record(2)
    out = io.StringIO()
    call_command("export_tasks", "--format", "json", "--task", "echo", stdout=out)
    assert [item["id"] for item in json.loads(out.getvalue())["results"]] == ["task-0002"]
    out = io.StringIO()
    call_command("export_tasks", stdout=out)
    assert [row["id"] for row in csv.DictReader(io.StringIO(out.getvalue()))] == ["task-0002", "task-0001"]
    with pytest.raises(CommandError, match="date_from"):
        call_command("export_tasks", "--date-from", "yesterday")
