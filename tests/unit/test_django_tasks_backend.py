"""The django.tasks backend's contract where no worker is needed: what it refuses (and then records
nothing), what it says it supports, and lookups of ids it does not know."""

import datetime
import math
from datetime import timedelta

import pytest
from celery import current_app
from django.test import override_settings
from django.utils import timezone

from tasks_app import reports, services
from tasks_app.djtasks import compat
from tasks_app.djtasks.backend import ArgumentsNotJSON, CeleryBackend, CeleryTask, redis_priority
from tasks_app.models import TaskAttempts, TaskRecord
from tasks_app.validation import TaskInputError
from tests.support import djtasks
from tests.support.celery import app_on_broker

pytestmark = pytest.mark.django_db

NOWHERE = "amqp://guest:guest@127.0.0.1:1//"  # a closed port: refused at once


def test_the_site_runs_django_tasks_on_celery_by_default():
    assert isinstance(compat.task_backends["default"], CeleryBackend)
    assert compat.task_backends["default"].queues == {"high", "default", "low"}
    assert isinstance(djtasks.add, CeleryTask)


def test_capability_flags():
    backend = compat.default_task_backend
    assert backend.supports_defer is True
    assert backend.supports_async_task is True
    assert backend.supports_get_result is True
    # tests run on the embedded broker unless a test picks another: no priorities there.
    assert backend.supports_priority is False


@pytest.mark.parametrize("url, honoured", [("redis://127.0.0.1:6379/0", True), (NOWHERE, False)])
def test_priority_is_supported_only_where_the_broker_honours_it(url, honoured):
    with app_on_broker(url):
        assert compat.default_task_backend.supports_priority is honoured
        if not honoured:
            with pytest.raises(compat.InvalidTask, match="does not support setting priority"):
                djtasks.add.using(priority=-50)


@pytest.mark.parametrize(
    "priority, band", [(100, None), (1, None), (0, None), (-1, 3), (-33, 3), (-34, 6), (-66, 6), (-67, 9), (-100, 9)]
)
def test_priorities_map_to_kombus_priority_bands(priority, band):
    assert redis_priority(priority) == band


def test_an_unknown_queue_is_refused_and_nothing_is_recorded():
    with pytest.raises(compat.InvalidTask, match="Queue 'urgent' is not valid for backend"):
        djtasks.add.using(queue_name="urgent").enqueue(1, 2)
    assert not TaskRecord.objects.exists()


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((datetime.date(2026, 1, 1),), {}, "The task's args contain date at args[0], which is not a JSON value."),
        ((1,), {"b": {1: "one"}}, 'The task\'s kwargs have a key that is not text at kwargs["b"]: 1.'),
        ((math.nan, 1), {}, "The task's args contain nan at args[0]; numbers must be finite"),
        (({1, 2}, 1), {}, "The task's args contain set at args[0], which is not a JSON value."),
        ((b"raw", 1), {}, "The task's args contain bytes at args[0], which is not a JSON value."),
    ],
)
def test_arguments_that_do_not_survive_json_are_refused_and_nothing_is_recorded(args, kwargs, message):
    with pytest.raises(ArgumentsNotJSON) as refused:
        djtasks.add.enqueue(*args, **kwargs)
    assert str(refused.value).startswith(message)
    assert str(refused.value).endswith("Pass only JSON values: they travel to the worker as JSON.")
    assert isinstance(refused.value, TypeError)
    assert not TaskRecord.objects.exists()


def test_a_broker_outage_answers_as_services_enqueue_does_and_records_nothing():
    with app_on_broker(NOWHERE), pytest.raises(services.BrokerUnavailable) as refused:
        djtasks.add.enqueue(1, 2)
    assert str(refused.value).startswith("The task broker is not reachable, so the task was not queued")
    assert not TaskRecord.objects.exists()


def test_an_unknown_id_raises_task_result_does_not_exist():
    with pytest.raises(compat.TaskResultDoesNotExist, match="No task with id 'nope' is known"):
        djtasks.add.get_result("nope")
    with pytest.raises(compat.TaskResultDoesNotExist):
        compat.default_task_backend.get_result("nope")


def test_the_id_of_a_celery_task_is_not_a_django_tasks_result():
    record = services.enqueue("echo", ["hi"])
    with pytest.raises(compat.TaskResultDoesNotExist, match=r"is not a django\.tasks task"):
        compat.default_task_backend.get_result(record.task_id)


def test_a_result_of_another_task_is_a_mismatch():
    result = djtasks.add.enqueue(1, 2)
    with pytest.raises(compat.TaskResultMismatch):
        djtasks.explode.get_result(result.id)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"max_retries": -1}, "max_retries must be a whole number"),
        ({"max_retries": 1.5}, "max_retries must be a whole number"),
        ({"retry_backoff": 0}, "retry_backoff and retry_backoff_max must be more than 0"),
        ({"time_limit": 0}, "time_limit must be more than 0 seconds"),
    ],
)
def test_celery_options_are_validated(options, message):
    with pytest.raises(compat.InvalidTask, match=message):
        CeleryTask(
            func=djtasks.add.func,
            priority=0,
            backend="default",
            queue_name="default",
            run_after=None,
            takes_context=False,
            **options,
        )


def test_a_function_inside_another_is_not_a_task():
    def local():
        pass

    with pytest.raises(compat.InvalidTask, match="module level"):
        compat.task(local)


def test_one_setting_runs_tasks_inline_in_a_projects_tests():
    with override_settings(TASKS={"default": {"BACKEND": compat.IMMEDIATE_BACKEND}}):
        result = compat.task(djtasks.add.func).enqueue(2, 2)
        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == 4
    assert not TaskRecord.objects.exists()
    assert isinstance(compat.task_backends["default"], CeleryBackend)


def test_the_daily_cleanup_deletes_old_attempts_with_the_results():
    now = timezone.now()
    TaskAttempts.objects.create(task_id="old", worker_ids=["w"], last_attempted_at=now - timedelta(days=8))
    TaskAttempts.objects.create(task_id="new", worker_ids=["w"], last_attempted_at=now - timedelta(days=6))
    current_app.backend.cleanup()  # the result backend's: celery.backend_cleanup calls it, expiring rows after 7 days
    assert list(TaskAttempts.objects.values_list("task_id", flat=True)) == ["new"]


def test_the_system_check_names_queues_the_site_does_not_have():
    assert list(compat.task_backends["default"].check()) == []
    tasks = {"default": {"BACKEND": "tasks_app.djtasks.backend.CeleryBackend", "QUEUES": ["default", "urgent"]}}
    with override_settings(TASKS=tasks):
        [error] = compat.task_backends["default"].check()
    assert error.id == "tasks_app.E001"
    assert error.msg == "TASKS['default']['QUEUES'] names 'urgent', which the site has no queue for."


def test_the_catalogs_tasks_are_checked_as_the_form_checks_them():
    with pytest.raises(TaskInputError, match=r"Argument 'days' must be from 1 to 60, not 0\."):
        reports.sales_report.enqueue(days=0)
    with pytest.raises(TaskInputError, match=r"Argument 'text' must be a string, not int 3\."):
        reports.word_count.enqueue(3)
    with pytest.raises(TaskInputError, match="These arguments do not fit word_count"):
        reports.word_count.enqueue("a", "b")
    assert not TaskRecord.objects.exists()
