"""The schedule box asks the preview on every keystroke: a half-typed line is the person's input,
answered 400 with its message, and not a WARNING in the server's log."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_a_bad_line_in_the_schedule_box_is_a_400_and_no_warning(client, caplog):
    caplog.set_level(logging.INFO)
    for typed in ["e", "ev", "every", "every 5", "*/15 * *"]:
        answer = client.get("/api/schedules/preview/", {"text": typed})
        assert answer.status_code == 400 and answer.json()["field"] == "schedule"
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert client.get("/api/schedules/preview/", {"text": "every 5 minutes"}).status_code == 200


def test_other_bad_requests_are_still_logged(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/api/tasks/", {"state": "NOPE"}).status_code == 400
    assert any(record.name == "django.request" and record.levelno == logging.WARNING for record in caplog.records)
