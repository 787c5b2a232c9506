"""`GET /api/tasks/export/` as the document describes it (tests/api/conftest.py checks each answer):
JSON by default, as a generated client parses it, CSV when asked, and HEAD without a body."""

import json

import pytest

from tests.pages.test_task_list import record

pytestmark = pytest.mark.django_db


def test_json_by_default_csv_when_asked(client):
    record(1)
    record(2, state="FAILURE")
    answer = client.get("/api/tasks/export/?state=FAILURE")
    assert answer["Content-Type"] == "application/json"
    assert [row["id"] for row in json.loads(answer.getvalue())["results"]] == ["task-0002"]
    answer = client.get("/api/tasks/export/?format=csv")
    assert answer["Content-Type"].startswith("text/csv")
    assert (
        answer.getvalue().decode().splitlines()[0]
        == "id,task,state,queue,periodic_task,retry_of,retried_as,enqueued_at"
    )
    assert client.head("/api/tasks/export/").status_code == 200
