"""POST endpoints whose body is optional take none at all, with no Content-Type, as curl sends them."""

import pytest

from tasks_app.models import TaskRecord
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]


def finished_echo(client) -> str:
    accepted = client.post("/api/tasks/", {"task": "echo", "args": [1]}, content_type="application/json").json()
    wait_for(lambda: client.get(accepted["url"]).json()["finished"], timeout=20, message="the echo to finish")
    return accepted["id"]


def bare_post(client, path: str, **headers):
    """What `curl -X POST <url>` sends: no body, no Content-Type, no Content-Length."""
    return client.generic("POST", path, b"", content_type="", **headers)


def test_retry_and_revoke_take_an_empty_body_with_no_content_type(client, celery_worker):
    task_id = finished_echo(client)
    retried = bare_post(client, f"/api/tasks/{task_id}/retry/")
    assert retried.status_code == 202, retried.json()
    assert retried.json()["retry_of"] == task_id
    revoked = bare_post(client, f"/api/tasks/{retried.json()['id']}/revoke/")
    assert revoked.status_code in (200, 409), revoked.json()  # 409 if the worker was quicker


def test_a_bodiless_post_from_another_sites_page_is_still_refused(client, celery_worker):
    task_id = finished_echo(client)
    before = TaskRecord.objects.count()
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}):
        refused = bare_post(client, f"/api/tasks/{task_id}/retry/", **headers)
        assert refused.status_code == 415
    assert TaskRecord.objects.count() == before
    same_site = bare_post(client, f"/api/tasks/{task_id}/retry/", HTTP_ORIGIN="http://testserver")
    assert same_site.status_code == 202
