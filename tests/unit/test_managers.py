"""The record's INSERT and the result's upsert are each one statement, compiled once (managers.py),
and write exactly the row that Django's own create() would."""

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from tasks_app.models import TaskRecord

FIELDS = {
    "task_name": "echo",
    "args": ["hello", {"nested": [1, 2.5, None, "é"]}],
    "kwargs": {"times": 3},
    "queue": "helloworld.default",
    "periodic_task_name": "nightly",
    "by_hand": True,
}


def comparable(record: TaskRecord) -> dict:
    return model_to_dict(TaskRecord.objects.get(pk=record.pk), exclude=["id", "task_id"])


def test_record_writes_the_row_create_writes_in_one_statement(db):
    owner = User.objects.create_user("ada")
    original = TaskRecord.objects.create(task_id="t-original", task_name="echo", queue="q")
    by_create = TaskRecord.objects.create(task_id="t-create", owner=owner, retry_of=original, **FIELDS)

    with CaptureQueriesContext(connection) as queries:
        by_record = TaskRecord.objects.record(task_id="t-record", owner=owner, retry_of=original, **FIELDS)

    assert len(queries) == 1
    assert queries[0]["sql"].startswith("INSERT INTO")
    stored, expected = comparable(by_record), comparable(by_create)
    assert stored == expected
    assert stored["owner"] == owner.pk and stored["retry_of"] == "t-original"
    assert stored["state"] == "QUEUED"
    # The instance is the saved row: its id and creation time are the database's.
    again = TaskRecord.objects.get(task_id="t-record")
    assert (by_record.pk, by_record.created_at) == (again.pk, again.created_at)
    assert by_record.created_at is not None


def test_a_recorded_instance_updates_and_deletes_as_a_saved_one(db):
    record = TaskRecord.objects.record(task_id="t-1", task_name="echo", queue="q")
    record.state = "SUCCESS"
    record.save()
    assert TaskRecord.objects.filter(task_id="t-1").count() == 1
    assert TaskRecord.objects.get(task_id="t-1").state == "SUCCESS"
    record.delete()
    assert not TaskRecord.objects.filter(task_id="t-1").exists()


def test_each_record_of_the_one_compiled_statement_keeps_its_own_values(db):
    first = TaskRecord.objects.record(task_id="t-1", task_name="echo", args=[1], queue="q1")
    second = TaskRecord.objects.record(task_id="t-2", task_name="fetch_url", kwargs={"url": "x"}, queue="q2")
    assert first.pk != second.pk
    assert TaskRecord.objects.get(task_id="t-1").args == [1]
    assert TaskRecord.objects.get(task_id="t-2").kwargs == {"url": "x"}
    assert TaskRecord.objects.get(task_id="t-2").task_name == "fetch_url"


def test_a_record_inside_a_transaction_goes_with_it(db):
    try:
        with transaction.atomic():
            TaskRecord.objects.record(task_id="t-rolled-back", task_name="echo", queue="q")
            raise RuntimeError("the caller fails after recording")
    except RuntimeError:
        pass
    assert not TaskRecord.objects.filter(task_id="t-rolled-back").exists()
