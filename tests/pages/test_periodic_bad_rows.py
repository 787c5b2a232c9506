"""One periodic task the site cannot describe breaks no page: a schedule whose runs cannot be
counted is refused before it is saved, and a row already in that state (written in the admin or
the database) shows its error where its summary would be."""

import html

import pytest
from django_celery_beat.models import PeriodicTask

from tasks_app import services
from tests.support.periodic_rows import ERRORS, undescribable_rows

pytestmark = pytest.mark.django_db

# Schedules whose runs go past year 9999: each was saved, then answered 500, then broke every page for everyone.
PAST_THE_CALENDAR = [
    ("@yearly, 8000 times", "only 7,9"),
    ("every 1000 days, 5000 times", "only 2,9"),
    ("0 0 29 2 *, 10000 times", "only 1,9"),
    ("0 0 31 12 *, 9000 times", "only 7,9"),
]


def form(client, schedule: str):
    body = {"task": "echo", "args": '["x"]', "kwargs": "", "queue": "default", "schedule": schedule, "name": ""}
    return client.post("/", body)


@pytest.mark.parametrize(("schedule", "fit"), PAST_THE_CALENDAR)
def test_the_form_refuses_a_schedule_it_could_not_summarise_and_saves_nothing(client, schedule, fit):
    response = form(client, schedule)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "would still be running after 9999-12-30" in page and fit in page
    assert not PeriodicTask.objects.exists()
    assert client.get("/").status_code == 200


# A superscript two (isdigit() but not int()), an Arabic-Indic five, a mathematical bold five.
OTHER_DIGITS = [", \u00b2 times", "every day, \u00b2 times", "every day, \u0665 times", "every \U0001d7d3 minutes"]


@pytest.mark.parametrize("schedule", OTHER_DIGITS)
def test_the_form_refuses_digits_other_than_0_to_9(client, schedule):
    response = form(client, schedule)
    assert response.status_code == 400
    assert "write numbers with the digits 0-9" in response.content.decode()
    assert not PeriodicTask.objects.exists()


def test_every_page_shows_a_row_it_cannot_describe_with_its_error(client):
    rows = undescribable_rows()
    services.schedule("echo", ["x"], schedule_text="every 5 minutes", name="good")
    for url in ("/", "/periodic/"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = html.unescape(response.content.decode())
        for error in ERRORS.values():
            assert error in page, (url, error)
        assert "<code>every 5 minutes</code>" in page  # the good row is shown as ever (its text says it all)
    for name, task in rows.items():
        response = client.get(f"/periodic/{task.pk}/")
        assert response.status_code == 200, name
        assert ERRORS[name] in html.unescape(response.content.decode()), name
