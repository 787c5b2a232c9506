"""The dashboard in a browser keeps itself up to date: tasks sent while it is open show up in
their queue's depth without a reload, and a worker started later shows up in its list."""

import pytest
from django.conf import settings

from tasks_app import services
from tests.support.celery import embedded_worker
from tests.support.own_queues import app_with_own_queues

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


def test_the_open_dashboard_follows_the_queues_and_the_workers(page, live_server, own_app):
    page.goto(live_server.url + "/dashboard/")
    depth = "tr[data-queue=default] [data-field=depth]"
    assert page.inner_text(depth) == "0"
    assert "No worker is running" in page.inner_text("#dashboard")

    services.enqueue("echo", ["one"])
    services.enqueue("echo", ["two"])
    page.wait_for_function(f"() => document.querySelector('{depth}').textContent === '2'", timeout=15_000)

    with embedded_worker(own_app) as worker:
        page.wait_for_selector(f"tr[data-worker='{worker.hostname}']", timeout=15_000)
        page.wait_for_function(f"() => document.querySelector('{depth}').textContent === '0'", timeout=15_000)
        assert "alive" in page.inner_text(f"tr[data-worker='{worker.hostname}']")
        shots = settings.BASE_DIR / "var" / "screenshots"  # kept after the run, for a person to look at
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
