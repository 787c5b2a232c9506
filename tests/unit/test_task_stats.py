"""The stats per task type on runs of known durations: counts per window, success rate, percentiles as
PostgreSQL's percentile_cont gives them (and the same from the capped sample on SQLite), the wait,
the slowest runs, the sample's cap, the cache, and a number of queries that does not grow with the rows."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.selectors import task_stats
from tests.support.stats_rows import finished_run

pytestmark = pytest.mark.django_db

LONG, ECHO = "tasks_app.tasks.long_task", "tasks_app.tasks.echo"


def by_name(found) -> dict:
    return {stats.name: stats for stats in found.types}


def test_counts_rates_percentiles_wait_and_slowest_of_known_runs():
    now = timezone.now()
    ids = [
        finished_run(LONG, seconds, done=now - timedelta(minutes=seconds), waited=2 * seconds)
        for seconds in range(1, 11)
    ]
    finished_run(LONG, 0.5, status="FAILURE", done=now - timedelta(hours=3), waited=None)  # beat's: no record
    finished_run(LONG, 99, done=now - timedelta(days=2), waited=1)  # outside the day
    finished_run(ECHO, 0.01, done=now - timedelta(seconds=5), waited=0.1)

    long_task = by_name(task_stats.compute(timezone.now()))[LONG]

    assert long_task.runs == {
        "hour": {"runs": 10, "succeeded": 10, "failed": 0},
        "day": {"runs": 11, "succeeded": 10, "failed": 1},
    }
    assert long_task.success_rate("day") == round(10 / 11, 4) and long_task.success_rate("hour") == 1.0
    # percentile_cont over 0.5, 1, 2 ... 10 s: p50 the middle one, p95 interpolated between 9 and 10 s.
    assert long_task.sampled == 11
    assert long_task.runtime_p50 == pytest.approx(5, abs=0.01)
    assert long_task.runtime_p95 == pytest.approx(9.5, abs=0.01)
    assert long_task.wait_p50 == pytest.approx(11, abs=0.01)  # waits 2 ... 20 s; the run without a record has none
    assert [run.task_id for run in long_task.slowest] == ids[::-1][:5]
    assert [run.runtime for run in long_task.slowest] == [10, 9, 8, 7, 6]
    assert long_task.slowest[0].url == f"/tasks/{ids[-1]}/"


def test_the_percentiles_read_only_the_newest_runs_of_the_day(monkeypatch):
    monkeypatch.setattr(task_stats, "SAMPLE_PER_TYPE", 3)
    now = timezone.now()
    for age, runtime in enumerate([1, 2, 3, 50, 60]):  # the two slowest are the oldest
        finished_run(LONG, runtime, done=now - timedelta(minutes=age + 1))
    long_task = by_name(task_stats.compute(timezone.now()))[LONG]
    assert long_task.runs["day"]["runs"] == 5  # the counts read every run of the day
    assert long_task.sampled == 3 and long_task.runtime_p50 == pytest.approx(2, abs=0.01)
    assert [run.runtime for run in long_task.slowest] == [3, 2, 1]


def test_python_interpolates_as_postgresql_does():
    now = timezone.now()
    for seconds in (0.2, 0.7, 1.1, 4.0, 4.5, 9.0, 30.0):
        finished_run(ECHO, seconds, done=now - timedelta(seconds=seconds * 10), waited=seconds / 2)
    sample = task_stats.day_sample(ECHO, now - timedelta(days=1))
    in_python = task_stats.percentiles_in_python(
        list(sample.values_list("task_id", "status", "date_started", "date_done"))
    )
    assert in_python == (7, 4.0, pytest.approx(23.7, abs=0.01), 2.0)
    if connection.vendor == "postgresql":
        assert task_stats.percentiles_in_database(sample) == in_python


def test_the_queries_do_not_grow_with_the_runs():
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            task_stats.compute(timezone.now())
        return len(captured)

    now = timezone.now()
    for name in (LONG, ECHO):
        finished_run(name, 1, done=now - timedelta(seconds=10), waited=1)
    few = queries()
    for minutes in range(40):
        for name in (LONG, ECHO):
            finished_run(name, 1, done=now - timedelta(minutes=minutes), waited=1)
    assert queries() == few


def test_the_figures_are_cached_for_the_time_set(settings):
    settings.DASHBOARD_FIGURES_CACHE_SECONDS = 60
    task_stats.cache.delete(task_stats.CACHE_KEY)
    try:
        first = task_stats.collect()
        finished_run(ECHO, 1, done=timezone.now())
        assert task_stats.collect() == first  # within the minute: the same answer
        settings.DASHBOARD_FIGURES_CACHE_SECONDS = 0
        assert [stats.name for stats in task_stats.collect().types] == [ECHO]
    finally:
        task_stats.cache.delete(task_stats.CACHE_KEY)


def test_the_cli_prints_the_table_and_the_json():
    now = timezone.now()
    slow = finished_run(LONG, 75, done=now - timedelta(minutes=5), waited=3)
    finished_run(LONG, 1, status="FAILURE", done=now - timedelta(minutes=4), waited=1)
    out = StringIO()
    call_command("task_stats", stdout=out)
    header, row, note = out.getvalue().splitlines()
    assert header.split() == [
        "task",
        "type",
        "runs/h",
        "runs/day",
        "ok/day",
        "p50",
        "p95",
        "wait",
        "p50",
        "slowest",
        "run",
    ]
    assert row.split() == [
        LONG,
        "2",
        "2",
        "50.0%",
        "38.00",
        "s",
        "1",
        "min",
        "11",
        "s",
        "2.00",
        "s",
        "1",
        "min",
        "15",
        "s",
        slow,
    ]
    assert "newest 1000 runs" in note

    out = StringIO()
    call_command("task_stats", "--json", stdout=out)
    [found] = json.loads(out.getvalue())["task_types"]
    assert found["windows"]["day"]["success_rate"] == 0.5 and found["slowest"][0]["task_id"] == slow


def test_the_dashboards_counts_are_cached_for_the_same_time(settings):
    from tasks_app.selectors import dashboard

    settings.DASHBOARD_FIGURES_CACHE_SECONDS = 60
    dashboard.cache.delete(dashboard.FIGURES_CACHE_KEY)
    try:
        before, _chart = dashboard.figures(timezone.now())
        finished_run(ECHO, 1, done=timezone.now())
        assert dashboard.figures(timezone.now())[0] == before
        settings.DASHBOARD_FIGURES_CACHE_SECONDS = 0
        assert dashboard.figures(timezone.now())[0]["hour"]["SUCCESS"] == before["hour"]["SUCCESS"] + 1
    finally:
        dashboard.cache.delete(dashboard.FIGURES_CACHE_KEY)
