"""GET /api/stats/ and the dashboard's "Task types" after a real worker (the embedded broker) ran
successes and failures of two task types: the counts, the success rates, the runtimes of long_task
runs of known length, the slowest runs linked to their pages; staff only. Every answer is checked
against the OpenAPI document (tests/api/conftest.py)."""

import pytest
from django_celery_results.models import TaskResult

from tasks_app import services, tasks
from tasks_app.selectors import status
from tests.support.users import logged_in
from tests.support.waiting import wait_for

LONG, FETCH = "tasks_app.tasks.long_task", "tasks_app.tasks.fetch_url"


def finished(task_ids) -> bool:
    return all(status.get(task_id).state in ("SUCCESS", "FAILURE") for task_id in task_ids)


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_the_figures_of_a_workers_real_runs(client, celery_worker, live_server, settings):
    # Only this test's runs: a worker of an earlier test may have written a late result row (a
    # revoked task it discarded) after that test's tables were emptied.
    TaskResult.objects.all().delete()
    settings.FETCH_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the test's own server
    settings.FETCH_URL_MAX_RETRIES = 0  # a refused connection fails at once
    sent = {
        "long 1 s": services.enqueue("long_task", [1]).task_id,
        "long 2 s": services.enqueue("long_task", [2]).task_id,
        # The site refuses such arguments: sent past it, as a script using Celery might (so no record, no wait).
        "long fails": tasks.long_task.delay("not a number").id,
        "fetch": services.enqueue("fetch_url", [live_server.url + "/api/health/"]).task_id,
        "fetch refused": services.enqueue("fetch_url", ["http://127.0.0.1:9/"]).task_id,  # nothing listens there
    }
    wait_for(lambda: finished(sent.values()), timeout=30, message="the five tasks to finish")

    response = client.get("/api/stats/")
    assert response.status_code == 200, response.content
    types = {found["name"]: found for found in response.json()["task_types"]}
    long_task, fetch = types[LONG], types[FETCH]

    for window in ("hour", "day"):
        assert long_task["windows"][window] == {"runs": 3, "succeeded": 2, "failed": 1, "success_rate": 0.6667}
        assert fetch["windows"][window] == {"runs": 2, "succeeded": 1, "failed": 1, "success_rate": 0.5}
    # long_task's runs: about 0, 1 and 2 s. percentile_cont: p50 the middle one, p95 nine tenths of the way to 2 s.
    assert 1 <= long_task["runtime_p50"] < 1.6
    assert 1.85 <= long_task["runtime_p95"] < 2.6
    assert 0 <= long_task["wait_p50"] < 10
    slowest = long_task["slowest"]
    assert [run["task_id"] for run in slowest] == [sent["long 2 s"], sent["long 1 s"], sent["long fails"]]
    assert slowest[0]["url"] == f"/tasks/{sent['long 2 s']}/" and slowest[2]["status"] == "FAILURE"

    page = client.get("/dashboard/?fragment=1").content.decode()
    assert 'id="task-types"' in page and f'href="/tasks/{sent["long 2 s"]}/"' in page
    assert "66.7%" in page and "50.0%" in page


@pytest.mark.production
def test_stats_are_for_staff_only(production, client, alice, staff):
    TaskResult.objects.all().delete()  # as above: no late row of an earlier test's worker
    assert client.get("/api/stats/").status_code == 401
    as_alice = logged_in(alice)
    refused = as_alice.get("/api/stats/")
    assert refused.status_code == 403 and refused.json() == {"error": "Only staff may do this."}
    assert 'id="task-types"' not in as_alice.get("/dashboard/").content.decode()

    as_staff = logged_in(staff)
    assert as_staff.get("/api/stats/").json()["task_types"] == []
    assert "No task finished in the last day." in as_staff.get("/dashboard/").content.decode()
