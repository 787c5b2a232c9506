"""What Django's own tests (django/django tests/tasks/test_tasks.py) ask of any backend, asked of
this one: written afresh here, the backend under test being the site's. What they test of the
Dummy and Immediate backends alone (an in-memory result list, running inline, logging) does not
apply; neither do pickling and ordering of results, which Django 6.1 adds (docs/django-tasks.md)."""

import dataclasses
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from tasks_app.djtasks import compat
from tests.support import djtasks
from tests.support.celery import app_on_broker

pytestmark = pytest.mark.django_db

Status = compat.TaskResultStatus


def test_enqueue_answers_ready_with_the_task_and_its_arguments():
    for result in (djtasks.add.enqueue(1, b=2), async_to_sync(djtasks.add.aenqueue)(1, b=2)):
        assert result.status == Status.READY
        assert result.task == djtasks.add
        assert (result.args, result.kwargs) == ([1], {"b": 2})
        assert result.backend == "default"
        assert not result.is_finished
        with pytest.raises(ValueError, match="Task has not finished yet"):
            result.return_value  # noqa: B018


def test_get_result_equals_what_enqueue_answered_and_refresh_changes_nothing():
    result = djtasks.add.enqueue(1, 2)
    assert djtasks.add.get_result(result.id) == result
    assert async_to_sync(djtasks.add.aget_result)(result.id) == result
    assert compat.task_backends["default"].get_result(result.id) == result
    before = dataclasses.asdict(result)
    result.refresh()
    async_to_sync(result.arefresh)()
    assert dataclasses.asdict(result) == before


def test_a_missing_or_mismatched_result_is_refused_sync_and_async():
    with pytest.raises(compat.TaskResultDoesNotExist):
        djtasks.add.get_result("123")
    with pytest.raises(compat.TaskResultDoesNotExist):
        async_to_sync(djtasks.add.aget_result)("123")
    result = djtasks.async_add.enqueue(1, 2)
    with pytest.raises(compat.TaskResultMismatch, match="Task does not match"):
        djtasks.add.get_result(result.id)
    with pytest.raises(compat.TaskResultMismatch, match="Task does not match"):
        async_to_sync(djtasks.add.aget_result)(result.id)


def test_using_makes_a_new_task_and_chains():
    now = timezone.now()
    assert djtasks.add.using() == djtasks.add and djtasks.add.using() is not djtasks.add
    later = djtasks.add.using(run_after=now).using(queue_name="low")
    assert (later.run_after, later.queue_name, later.priority) == (now, "low", 0)
    assert (djtasks.add.run_after, djtasks.add.queue_name) == (None, "default")
    assert isinstance(later, type(djtasks.add))  # the backend's task class, Celery options and all


def test_what_any_backend_refuses():
    with pytest.raises(compat.InvalidTask, match="run_after must be an aware datetime"):
        djtasks.add.using(run_after=datetime.now())
    with pytest.raises(compat.InvalidTask, match="Queue 'queue-2' is not valid for backend"):
        djtasks.add.using(queue_name="queue-2")
    with pytest.raises(compat.InvalidTask, match="Task function must be defined at a module level"):
        compat.task(any)
    with pytest.raises(compat.InvalidTask, match="Task takes context but does not have a first argument"):
        compat.task(takes_context=True)(djtasks.add.func)
    with pytest.raises(ImproperlyConfigured, match="The connection 'unknown' doesn't exist"):
        djtasks.add.using(backend="unknown")
    with pytest.raises(TypeError):
        djtasks.add.enqueue(datetime.now())


def test_priorities_are_whole_numbers_from_minus_100_to_100_where_the_broker_has_them():
    with app_on_broker("redis://127.0.0.1:6379/0"):
        for wrong in (-101, 101, 3.1):
            with pytest.raises(compat.InvalidTask, match="priority must be a whole number between -100 and 100"):
                djtasks.add.using(priority=wrong)
        for right in (-100, 0, 100):
            assert djtasks.add.using(priority=right).priority == right


def test_name_module_path_call_and_acall():
    assert djtasks.add.name == "add"
    assert djtasks.add.module_path == "tests.support.djtasks.add"
    assert import_string(djtasks.add.module_path) is djtasks.add
    assert djtasks.add.call(1, 2) == 3
    assert async_to_sync(djtasks.add.acall)(1, 2) == 3
    assert djtasks.async_add.call(1, 2) == 3
