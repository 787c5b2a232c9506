"""`high` served before `default`: with tasks waiting in both, a worker that starts takes every
`high` task first, on the brokers where the site claims so (see README, "Named queues")."""

import pytest
from django_celery_results.models import TaskResult

from tasks_app import services
from tasks_app.selectors import status
from tests.support.celery import embedded_worker
from tests.support.own_queues import app_with_own_queues
from tests.support.waiting import wait_for


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


def run_order(app, waiting_default: int = 6, waiting_high: int = 3) -> list[str]:
    """Send `default` tasks, then `high` ones, with no worker; start a worker that runs one
    task at a time; the queue of each task in the order they started."""
    sent = {services.enqueue("echo", ["d"]).task_id: "default" for _ in range(waiting_default)}
    sent |= {services.enqueue("echo", ["h"], queue="high").task_id: "high" for _ in range(waiting_high)}
    with embedded_worker(app, concurrency=1):
        wait_for(lambda: all(status.get(task_id).finished for task_id in sent), message="every task to run")
    started = TaskResult.objects.filter(task_id__in=sent).order_by("date_started").values_list("task_id", flat=True)
    return [sent[task_id] for task_id in started]


@pytest.mark.broker_bound
@pytest.mark.parametrize("broker", ["redis", "filesystem"], indirect=True)
def test_a_worker_takes_every_high_task_before_any_default_one(own_app):
    assert run_order(own_app) == ["high"] * 3 + ["default"] * 6
