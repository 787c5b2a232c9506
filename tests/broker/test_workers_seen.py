"""The dashboard's record of each worker (tasks_app.broker.workers) when a refresh hears only part
of a worker's answers: each inspect broadcast has its own one-second timeout, so a busy worker can
answer `active` in time and `stats` too late."""

from tasks_app.broker import workers
from tasks_app.models import WorkerSeen

NODE = "celery@host"
FULL = {
    "stats": {"pool": {"max-concurrency": 4}, "uptime": 60, "total": {"tasks_app.tasks.echo": 7}},
    "active": [{"id": "a"}],
    "queues": [{"name": "helloworld.low"}, {"name": "helloworld.default"}],
}


def test_a_refresh_that_misses_the_stats_keeps_the_last_ones_heard(db):
    [first] = workers._listed({NODE: FULL})
    assert (first.concurrency, first.processed, first.running) == (4, 7, 1)
    assert first.queues == ["helloworld.default", "helloworld.low"]

    [second] = workers._listed({NODE: {"stats": None, "active": [], "queues": None}})
    assert second.alive is True
    assert (second.concurrency, second.processed, second.running) == (4, 7, 0)
    assert second.queues == ["helloworld.default", "helloworld.low"]
    assert second.started_at == first.started_at
    assert second.last_seen > first.last_seen


def test_a_worker_first_heard_without_its_stats_is_listed_with_them_unknown(db):
    [worker] = workers._listed({NODE: {"stats": None, "active": None, "queues": FULL["queues"]}})
    assert (worker.alive, worker.concurrency, worker.processed, worker.running) == (True, None, 0, 0)
    assert WorkerSeen.objects.get(name=NODE).queues == ["helloworld.default", "helloworld.low"]
