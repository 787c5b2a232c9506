"""The fixed-window counter (tasks_app.counters) behind the rate limits and login throttling: within a
limit or refused whole, given back, reset, fresh in each window, ended windows swept, and exact when
many requests count at once (on SQLite and PostgreSQL alike)."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from tasks_app import counters
from tasks_app.models import WindowCount

START = datetime(2026, 12, 4, 21, 5, tzinfo=UTC)


def window(start=START, seconds=60) -> counters.Window:
    return counters.Window(start, start + timedelta(seconds=seconds), retry_after=seconds)


@pytest.mark.django_db
def test_hits_count_up_to_the_limit_and_a_refused_hit_counts_nothing():
    now = window()
    assert [counters.hit("k", now, limit=3) for _ in range(4)] == [True, True, True, False]
    assert counters.count("k", now) == 3
    assert counters.hit("other", now, limit=3, cost=2) and not counters.hit("other", now, limit=3, cost=2)
    assert counters.count("other", now) == 2
    assert not counters.hit("big", now, limit=3, cost=4) and counters.count("big", now) == 0


@pytest.mark.django_db
def test_without_a_limit_every_hit_counts():
    now = window()
    assert all(counters.hit("failures", now) for _ in range(7))
    assert counters.count("failures", now) == 7


@pytest.mark.django_db
def test_give_back_and_reset_touch_only_this_key_in_this_window():
    now, earlier = window(), window(START - timedelta(seconds=60))
    counters.hit("k", earlier, cost=5)
    counters.hit("k", now, cost=5)
    counters.hit("j", now, cost=5)
    counters.give_back("k", now, cost=2)
    counters.give_back("k", now, cost=9)  # more than was counted: nothing to give back
    assert (counters.count("k", now), counters.count("k", earlier), counters.count("j", now)) == (3, 5, 5)
    counters.reset("k", now)
    assert (counters.count("k", now), counters.count("k", earlier), counters.count("j", now)) == (0, 5, 5)


@pytest.mark.django_db
def test_each_window_counts_afresh_and_its_first_hit_sweeps_the_ended_ones(django_capture_on_commit_callbacks):
    long_now = window(START - timedelta(seconds=120), seconds=300)  # started before START, ends after it
    minute_ago, now = window(START - timedelta(seconds=60)), window()
    with django_capture_on_commit_callbacks(execute=True):
        counters.hit("long", long_now, cost=4)
        counters.hit("gone", minute_ago, limit=1)
        counters.hit("k", minute_ago, limit=1)
    with django_capture_on_commit_callbacks(execute=True) as swept:
        assert counters.hit("k", now, limit=1)  # last minute's count does not limit this one
    assert len(swept) == 1
    assert sorted(WindowCount.objects.values_list("key", "count")) == [("k", 1), ("long", 4)]
    with django_capture_on_commit_callbacks() as later:
        counters.hit("k", now)
    assert not later  # only a window's first hit sweeps


def hit_at_once(threads: int, hit) -> list[bool]:
    """Call `hit` in `threads` threads at once (each with its own database connection)."""
    barrier, results = threading.Barrier(threads), []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(hit())
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_many_first_hits_at_once_count_exactly_up_to_the_limit():
    now = window(datetime.now(UTC).replace(microsecond=0))
    results = hit_at_once(8, lambda: counters.hit("race", now, limit=5))
    assert sorted(results) == [False] * 3 + [True] * 5
    assert WindowCount.objects.get(key="race").count == 5


@pytest.mark.django_db(transaction=True)
def test_hits_inside_transactions_that_commit_late_still_count_exactly():
    # As ratelimit.take counts inside the transaction that records the task: a second first hit waits
    # on the first's uncommitted row (PostgreSQL) or its write lock (SQLite), then counts on that row.
    now = window(datetime.now(UTC).replace(microsecond=0))

    def hit_and_hold():
        with transaction.atomic():
            allowed = counters.hit("held", now, limit=4)
            time.sleep(0.05)
            return allowed

    assert sorted(hit_at_once(6, hit_and_hold)) == [False] * 2 + [True] * 4
    assert WindowCount.objects.get(key="held").count == 4
