"""Failures grouped by cause, from real failures on a real worker: fetch_url to closed ports (a
NetworkError, its port a variable part) and to a refused address (a FetchError), sent by alice, bob
and from outside the site. Grouping, who sees what, retry, dismiss and reappear, /metrics and the CLI."""

import re

import pytest
from django.core.management import CommandError, call_command

from tasks_app import tasks
from tasks_app.models import TaskRecord
from tasks_app.selectors import status
from tests.support.processes import free_port
from tests.support.users import logged_in
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.parametrize("broker", ["filesystem"], indirect=True),
    pytest.mark.production(FETCH_URL_ALLOWED_NETWORKS=["127.0.0.0/8"], FETCH_URL_MAX_RETRIES=0),
]

FETCH = "tasks_app.tasks.fetch_url"
NETWORK = "tasks_app.lib.safe_http.NetworkError"
REFUSED = "tasks_app.lib.safe_http.FetchError"


def send_closed(client) -> str:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there: connection refused
    response = client.post("/api/tasks/", {"task": "fetch_url", "args": [url]}, content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def all_failed(task_ids):
    def check():
        return all(status.get(task_id) and status.get(task_id).state == "FAILURE" for task_id in task_ids)

    wait_for(check, timeout=30, message=f"{len(task_ids)} fetches to fail")


def api_post(client, path):
    return client.post(path, {}, content_type="application/json")


def groups(client, **query) -> dict:
    response = client.get("/api/failures/", query)
    assert response.status_code == 200, response.content
    return {(group["task"], group["exception"]): group for group in response.json()["groups"]}


@pytest.fixture
def failed(production, celery_worker, alice, bob, staff):
    """alice's two and bob's one refused connection, and one refused address sent from outside the site."""
    as_alice, as_bob = logged_in(alice), logged_in(bob)
    ids = {"alice": [send_closed(as_alice), send_closed(as_alice)], "bob": [send_closed(as_bob)]}
    ids["outside"] = [tasks.fetch_url.apply_async(["http://10.0.0.1/"]).id]  # a private address: refused
    all_failed([task_id for sent in ids.values() for task_id in sent])
    return as_alice, as_bob, logged_in(staff), ids


def test_failures_group_by_cause_and_each_user_sees_only_their_own(failed):
    as_alice, as_bob, as_staff, ids = failed
    everything = groups(as_staff)
    assert set(everything) == {(FETCH, NETWORK), (FETCH, REFUSED)}
    network = everything[(FETCH, NETWORK)]
    assert network["count"] == 3  # three ports, one cause
    assert network["message"].startswith("Could not fetch http://<ip>:<port>/: ConnectionRefusedError")
    assert network["first_seen"] <= network["last_seen"]
    assert "Traceback" in network["traceback"] and network["dismissed"] is False
    assert everything[(FETCH, REFUSED)]["count"] == 1

    mine = groups(as_alice)
    assert list(mine) == [(FETCH, NETWORK)] and mine[(FETCH, NETWORK)]["count"] == 2
    assert mine[(FETCH, NETWORK)]["id"] == network["id"]  # the same cause, the same id: the key's hash
    assert mine[(FETCH, NETWORK)]["latest_task"] in ids["alice"]
    assert groups(as_bob)[(FETCH, NETWORK)]["count"] == 1

    # A group of tasks she cannot see does not exist for her; her own group's page lists her two.
    refused = everything[(FETCH, REFUSED)]["id"]
    assert as_alice.get(f"/failures/{refused}/").status_code == 404
    assert api_post(as_alice, f"/api/failures/{refused}/retry/").status_code == 404
    page = as_alice.get(f"/failures/{network['id']}/").content.decode()
    assert all(task_id in page for task_id in ids["alice"]) and ids["bob"][0] not in page
    listing = as_alice.get("/failures/").content.decode()
    assert "Could not fetch http://&lt;ip&gt;:&lt;port&gt;/" in listing and "Dismiss" not in listing


def test_retrying_a_group_sends_its_visible_tasks_again_once(failed):
    as_alice, as_bob, as_staff, ids = failed
    network = groups(as_bob)[(FETCH, NETWORK)]["id"]
    response = api_post(as_bob, f"/api/failures/{network}/retry/")
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["retried"] == 1 and answer["more_left"] is False
    retried = TaskRecord.objects.get(task_id=answer["tasks"][0]["id"])
    assert retried.retry_of_id == ids["bob"][0] and retried.owner.username == "bob"

    # The page: a confirmation that counts what a retry sends, then the retry.
    confirm = as_alice.get(f"/failures/{network}/retry/")
    assert re.search(r'data-field="count">2 of its 2<', confirm.content.decode())
    response = as_alice.post(f"/failures/{network}/retry/")
    assert response.status_code == 302
    new = list(TaskRecord.objects.filter(retry_of__in=ids["alice"]).values_list("task_id", flat=True))
    assert len(new) == 2
    # Each failed task is retried once: asked again, the group sends none of the originals (only a
    # retry that has failed meanwhile is a failure of its own, and may be retried in its turn).
    again = [task["id"] for task in api_post(as_alice, f"/api/failures/{network}/retry/").json()["tasks"]]
    assert not TaskRecord.objects.filter(task_id__in=again, retry_of__in=ids["alice"]).exists()

    # A failure known only by its result row cannot be retried: the site never recorded its input.
    refused = groups(as_staff)[(FETCH, REFUSED)]["id"]
    assert api_post(as_staff, f"/api/failures/{refused}/retry/").json()["retried"] == 0
    all_failed([*new, answer["tasks"][0]["id"], *again])
    assert groups(as_staff)[(FETCH, NETWORK)]["count"] == 6 + len(again)


def test_a_dismissed_group_is_hidden_until_it_fails_again(failed):
    as_alice, _, as_staff, ids = failed
    network = groups(as_staff)[(FETCH, NETWORK)]["id"]
    refused = api_post(as_alice, f"/api/failures/{network}/dismiss/")
    assert refused.status_code == 403  # a dismissal hides it from everyone: staff only
    assert as_alice.post(f"/failures/{network}/dismiss/").status_code == 403

    response = as_staff.post(f"/failures/{network}/dismiss/")
    assert response.status_code == 302
    assert (FETCH, NETWORK) not in groups(as_staff) and (FETCH, NETWORK) not in groups(as_alice)
    shown = groups(as_staff, dismissed="true")[(FETCH, NETWORK)]
    assert shown["dismissed"] is True and shown["dismissed_by"] == "sam"
    page = as_staff.get("/failures/").content.decode()
    assert "Show dismissed groups (1)" in page

    # alice's retries fail again, after the dismissal: the group is back, for her and for staff.
    api_post(as_alice, f"/api/failures/{network}/retry/")
    all_failed(list(TaskRecord.objects.filter(retry_of__in=ids["alice"]).values_list("task_id", flat=True)))
    back = groups(as_staff)[(FETCH, NETWORK)]
    assert back["dismissed"] is False and back["dismissed_at"] is not None and back["count"] == 5
    assert (FETCH, NETWORK) in groups(as_alice)
    assert "failed again since, so shown again" in as_staff.get("/failures/").content.decode()


def test_metrics_count_failures_by_task_and_exception_only(failed):
    _, _, as_staff, _ = failed
    text = as_staff.get("/metrics").content.decode()
    assert f'helloworld_task_failures_last_hour{{exception="{NETWORK}",task="{FETCH}"}} 3.0' in text
    assert f'helloworld_task_failures_last_hour{{exception="{REFUSED}",task="{FETCH}"}} 1.0' in text
    assert "ConnectionRefused" not in "".join(line for line in text.splitlines() if "failures_last_hour{" in line)


def test_the_cli_lists_retries_and_dismisses_groups(failed, capsys):
    _, _, as_staff, ids = failed
    everything = groups(as_staff)
    network, refused = everything[(FETCH, NETWORK)]["id"], everything[(FETCH, REFUSED)]["id"]
    call_command("failures")
    listed = capsys.readouterr().out
    assert re.search(rf"^{network}\s+3\s", listed, re.MULTILINE) and refused in listed

    call_command("failures", "--dismiss", refused)
    assert "Dismissed" in capsys.readouterr().out
    call_command("failures")
    assert refused not in capsys.readouterr().out
    call_command("failures", "--all")
    assert f"{refused}" in capsys.readouterr().out

    call_command("failures", "--retry", network)
    out = capsys.readouterr().out
    assert "Retried 3 failed tasks." in out
    assert TaskRecord.objects.filter(retry_of__in=ids["alice"] + ids["bob"]).count() == 3
    with pytest.raises(CommandError, match="No failure group 'nope'"):
        call_command("failures", "--retry", "nope")
