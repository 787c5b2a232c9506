"""Every error a person sees has its status in the API's one table, so a new one cannot slip through as
a 400 it was not meant to be, and the table's order cannot matter (a subclass wins over its base)."""

import importlib
import pkgutil

import pytest

import tasks_app
from tasks_app import services
from tasks_app.api.errors import STATUSES, response_for, status_of
from tasks_app.errors import UserError
from tasks_app.http.unavailable import DatabaseUnavailable
from tasks_app.ratelimit import RateLimited
from tasks_app.validation import TaskInputError


def every_user_error() -> set[type[UserError]]:
    for module in pkgutil.walk_packages(tasks_app.__path__, "tasks_app."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, waiting = set(), [UserError]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found.add(subclass)
            waiting.append(subclass)
    return found


def test_every_user_error_of_the_site_is_in_the_table_itself():
    missing = sorted(cls.__qualname__ for cls in every_user_error() if cls not in STATUSES)
    assert not missing, f"add these to tasks_app.api.errors.STATUSES: {missing}"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TaskInputError("Unknown task 'x'."), 400),
        (services.TaskNotFound("abc"), 404),
        (services.TaskStateConflict("Task abc is PENDING."), 409),
        (RateLimited("enqueue", 5, 30), 429),
        (services.BrokerUnavailable("The task broker is not reachable", "[Errno 111] at 10.0.0.5:5672"), 503),
    ],
)
def test_a_subclass_answers_its_own_status_not_its_bases(error, status):
    assert status_of(error) == status


def test_retry_after_and_a_brokers_own_words_reach_only_whom_they_should(settings, django_user_model):
    settings.LOCAL_MODE = False  # in local mode everyone sees everything
    limited = response_for(RateLimited("enqueue", 5, 30), user=None)
    assert (limited.status_code, limited["Retry-After"]) == (429, "30")
    busy = response_for(DatabaseUnavailable(), user=None)
    assert (busy.status_code, busy["Retry-After"]) == (503, "5")
    down = services.BrokerUnavailable("The task broker is not reachable", "[Errno 111] at 10.0.0.5:5672")
    someone = django_user_model(username="someone")
    assert "10.0.0.5" not in response_for(down, someone).content.decode()
    assert "10.0.0.5" in response_for(down, django_user_model(username="staff", is_staff=True)).content.decode()
