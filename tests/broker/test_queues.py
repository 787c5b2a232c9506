"""Queue depths, the oldest task's age and purge, read from each real broker."""

import time

import pytest

from tasks_app import services
from tasks_app.broker import queues
from tasks_app.selectors import status
from tests.support.own_queues import app_with_own_queues


@pytest.fixture
def own_app(settings, broker, transactional_db):
    with app_with_own_queues(settings, broker) as app:
        yield app


def by_name(states):
    return {state.name: state for state in states}


@pytest.mark.broker_bound
def test_depths_and_oldest_age_of_tasks_waiting_with_no_worker(own_app, broker):
    before = time.time()
    for word in ("a", "b", "c"):
        services.enqueue("echo", [word])
    services.enqueue("echo", ["urgent"], queue="high")
    time.sleep(0.3)

    found = by_name(queues.states())

    assert [state.name for state in queues.states()] == ["high", "default", "low"]
    assert (found["high"].depth, found["default"].depth, found["low"].depth) == (1, 3, 0)
    assert found["default"].broker_name.endswith(".default")
    assert not found["default"].error
    if broker.kind == "rabbitmq":
        assert found["default"].oldest_age_seconds is None  # AMQP cannot look without taking
        assert found["default"].consumers == 0
        assert not queues.age_known("rabbitmq")
    else:
        assert 0.3 <= found["default"].oldest_age_seconds <= time.time() - before + 1
        assert found["low"].oldest_age_seconds is None  # empty
        assert found["default"].consumers is None


def test_purge_drops_every_task_of_one_queue_and_marks_each_on_its_status_page(own_app, broker):
    dropped_ids = [services.enqueue("echo", [n]).task_id for n in range(3)]
    kept = services.enqueue("echo", ["kept"], queue="high").task_id

    purged = queues.purge("default", by="alice")

    assert purged.dropped == 3
    assert sorted(purged.task_ids) == sorted(dropped_ids)
    for task_id in dropped_ids:
        found = status.get(task_id)
        assert found.state == "REVOKED"
        assert "Dropped from queue" in found.error and "by alice" in found.error
        assert found.error.count(".default") == 1
    assert status.get(kept).state == "QUEUED"
    assert by_name(queues.states())["default"].depth == 0
    assert by_name(queues.states())["high"].depth == 1


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_one_purge_stops_at_its_limit_and_says_more_remain(own_app, monkeypatch):
    monkeypatch.setattr(queues, "PURGE_LIMIT", 2)
    sent = [services.enqueue("echo", [n]).task_id for n in range(3)]
    first = queues.purge("default", by="alice")
    assert (first.dropped, first.more_left) == (2, True)
    assert by_name(queues.states())["default"].depth == 1
    monkeypatch.setattr(queues, "PURGE_LIMIT", 5)
    second = queues.purge("default", by="alice")
    assert (second.dropped, second.more_left) == (1, False)
    assert sorted(first.task_ids + second.task_ids) == sorted(sent)


def test_an_unknown_queue_cannot_be_purged(own_app):
    with pytest.raises(KeyError):
        queues.purge("nope", by="alice")


def test_queues_no_task_or_worker_ever_used_show_as_empty(own_app):
    # On RabbitMQ they are not even declared yet: a passive declare is refused, which means empty.
    found = queues.states()
    assert [(state.depth, state.oldest_age_seconds, state.error) for state in found] == [(0, None, "")] * 3
