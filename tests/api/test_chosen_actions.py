"""Acting on chosen tasks (the rows ticked on /tasks/, `{"ids": [...]}` to POST /api/tasks/retry/ and
/revoke/, several ids to `manage.py retry` and `revoke`): only the chosen ones that may be acted on,
only what the user may see, the rest counted as skipped."""

from io import StringIO

import pytest
from celery import states
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks_app import services
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tasks_app.states import QUEUED
from tests.api.test_bulk_actions import failed
from tests.support.celery import purge_queues
from tests.support.users import logged_in

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]


def owned(record, user):
    TaskRecord.objects.filter(pk=record.pk).update(owner=user)
    return record


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_retry_takes_only_the_failed_among_the_chosen_and_only_the_users_own(
    celery_app, client, production, transactional_db, alice, bob
):
    mine, also_mine = owned(failed(celery_app, 1), alice), owned(failed(celery_app, 2), alice)
    theirs = owned(failed(celery_app, 3), bob)
    queued = services.enqueue("echo", ["waiting"], owner=alice)
    client.force_login(alice)
    chosen = [mine.task_id, queued.task_id, theirs.task_id, "no-such-task", mine.task_id]
    answer = post(client, "/api/tasks/retry/", {"ids": chosen})
    assert answer.status_code == 202, answer.content
    assert (answer.json()["retried"], answer.json()["skipped"]) == (1, 3)  # the duplicate counted once
    retried = TaskRecord.objects.get(task_id=answer.json()["tasks"][0]["id"])
    assert retried.retry_of_id == mine.task_id and retried.owner == alice
    assert not TaskRecord.objects.filter(retry_of__in=[theirs.task_id, also_mine.task_id]).exists()
    purge_queues(celery_app)


def test_revoke_takes_only_the_unfinished_among_the_chosen(celery_app, client, production, transactional_db, alice):
    waiting = [services.enqueue("echo", [n], owner=alice) for n in range(3)]
    done = owned(failed(celery_app, "done"), alice)
    client.force_login(alice)
    chosen = [waiting[0].task_id, waiting[1].task_id, done.task_id]
    answer = post(client, "/api/tasks/revoke/", {"ids": chosen})
    assert answer.status_code == 200, answer.content
    assert sorted(answer.json()["ids"]) == sorted(chosen[:2]) and answer.json()["skipped"] == 1
    found = status.states(record.task_id for record in waiting)
    assert [found[record.task_id] for record in waiting] == [states.REVOKED, states.REVOKED, QUEUED]
    purge_queues(celery_app)


def test_bad_ids_are_refused_with_the_field_named(celery_app, client, settings):
    settings.BULK_ACTION_MAX_TASKS = 2
    for body in ({"ids": []}, {"ids": "abc"}, {"ids": [1]}, {"ids": ["a\x00b"]}, {"ids": ["a", "b", "c"]}):
        for path in ("/api/tasks/retry/", "/api/tasks/revoke/"):
            answer = post(client, path, body)
            assert answer.status_code == 400 and answer.json()["field"] == "ids", (path, body, answer.content)


def test_the_page_confirms_then_acts_on_the_ticked_rows(celery_app, transactional_db, production, alice, bob):
    mine, other = owned(failed(celery_app, 1), alice), owned(failed(celery_app, 2), alice)
    theirs = owned(failed(celery_app, 3), bob)
    client = logged_in(alice)
    query = f"chosen=1&ids={mine.task_id}&ids={theirs.task_id}"
    confirm = client.get(f"/tasks/retry/?{query}")
    html = confirm.content.decode()
    assert "Retry the chosen failed tasks?" in html and "2 tasks" in html and ">Retry 1</button>" in html
    done = client.post(f"/tasks/retry/?{query}", follow=True)
    text = done.content.decode()
    assert "Retried 1 failed task." in text and "1 of the 2 chosen tasks was not failed." in text
    assert TaskRecord.objects.filter(retry_of=mine.task_id).count() == 1
    assert not TaskRecord.objects.filter(retry_of__in=[other.task_id, theirs.task_id]).exists()
    # The buttons pressed with nothing ticked: a message, never "all" instead.
    nothing = client.post("/tasks/revoke/?chosen=1&task=echo", follow=True)
    assert "Tick the tasks to act on first." in nothing.content.decode()
    assert nothing.redirect_chain[0][0] == "/tasks/?task=echo"
    purge_queues(celery_app)


def test_the_cli_retries_and_revokes_several_ids(celery_app, transactional_db):
    first, second = failed(celery_app, 1), failed(celery_app, 2)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 3 tasks could not be retried"):
        call_command("retry", first.task_id, "no-such-task", second.task_id, stdout=out, stderr=err)
    assert len(out.getvalue().split()) == 2 and "no-such-task: id: No task" in err.getvalue()
    assert TaskRecord.objects.filter(retry_of__in=[first.task_id, second.task_id]).count() == 2
    waiting = [services.enqueue("echo", [n]) for n in range(2)]
    out = StringIO()
    call_command("revoke", *(record.task_id for record in waiting), stdout=out)
    assert out.getvalue().count("Revoked: it will not run.") == 2
    purge_queues(celery_app)
