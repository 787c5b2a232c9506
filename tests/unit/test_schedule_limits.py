"""Schedules that end: `, N times`, `from ...` and `until ...` read, stored, previewed and honoured."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from hypothesis import event, given, settings
from hypothesis import strategies as st

from helloworld.celery import app as project_app
from tasks_app import schedules, services
from tasks_app.beat.entry import ModelEntry
from tasks_app.models import RunLimit
from tasks_app.schedules import CrontabSpec, IntervalSpec, Limits, ScheduleError
from tasks_app.selectors.periodic import summarize
from tasks_app.validation import TaskInputError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 13:00 in Paris


def parse(text: str):
    return schedules.parse(text, tz=PARIS, now=NOW)


def paris(*parts) -> datetime:
    return datetime(*parts, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 10 seconds, 5 times", IntervalSpec(10, "seconds", Limits(times=5))),
        ("*/5 * * * *, 3 times", CrontabSpec("*/5", "*", "*", "*", "*", Limits(times=3))),
        ("@daily, 7 times", CrontabSpec("0", "0", "*", "*", "*", Limits(times=7))),
        ("every day, 1 time", IntervalSpec(1, "days", Limits(times=1))),
        (
            "every day from 2026-12-24 09:00 until 2027-01-06 09:00",
            IntervalSpec(1, "days", Limits(start=paris(2026, 12, 24, 9), until=paris(2027, 1, 6, 9))),
        ),
        (
            "@daily until 2027-01-06 09:00, 7 times",
            CrontabSpec("0", "0", "*", "*", "*", Limits(times=7, until=paris(2027, 1, 6, 9))),
        ),
        (
            "every 2 hours, 5 times from 2026-12-10 08:00",
            IntervalSpec(2, "hours", Limits(times=5, start=paris(2026, 12, 10, 8))),
        ),
        (
            "every 5 minutes until 2026-12-02 14:00:30",
            IntervalSpec(5, "minutes", Limits(until=paris(2026, 12, 2, 14, 0, 30))),
        ),
    ],
)
def test_every_form_of_the_grammar_reads_and_writes_back(text, expected):
    spec = parse(text)
    assert spec == expected
    assert parse(schedules.text_of(spec, tz=PARIS)) == spec


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("every day, 0 times", "', 0 times' would never run"),
        ("every day, -2 times", "'-2' is not a number of times"),
        ("every day, 20000 times", "more than 10,000 runs"),
        ("every day, 2 times, 3 times", "Say how many times once"),
        ("every day until 2026-12-01 09:00", "has already passed"),
        ("every day from 2026-12-10 09:00 until 2026-12-09 09:00", "'until' (2026-12-09 09:00) must come after 'from'"),
        ("every day from 2026-12-10", "After 'from' write a date and time as YYYY-MM-DD HH:MM"),
        ("every day from 2026-12-10 09:00 junk", "'junk' is not understood"),
        ("every day until 2026-12-10 09:00 until 2026-12-11 09:00", "Give 'until' once"),
        ("at 2026-12-05 09:00, 3 times", "A one-off time runs once"),
        ("@yearly from 2027-01-02 00:00 until 2027-02-01 00:00", "never runs"),
        ("every day from 2027-03-28 02:30", "such as: from 2027-03-28 03:30"),
    ],
)
def test_bad_limits_say_which_part_is_wrong(text, says):
    with pytest.raises(ScheduleError) as refused:
        parse(text)
    assert says in refused.value.message


def test_the_preview_lists_only_the_runs_that_will_happen():
    five = parse("every 10 seconds, 5 times")
    assert len(schedules.next_runs(five, tz=PARIS, after=NOW, count=10)) == 5
    assert schedules.run_summary(five, tz=PARIS, after=NOW) == "5 runs, the last at 2026-12-02 13:00:50 (Europe/Paris)."
    # Two already sent: three to come.
    assert len(schedules.next_runs(five, tz=PARIS, after=NOW, count=10, runs_done=2)) == 3

    window = parse("every day from 2026-12-24 09:00 until 2026-12-27 09:00")
    runs = schedules.next_runs(window, tz=PARIS, after=NOW, count=10)
    assert [run.strftime("%m-%d %H:%M") for run in runs] == ["12-24 09:00", "12-25 09:00", "12-26 09:00"]
    assert "until" in schedules.describe(window, tz=PARIS)

    cron = parse("*/15 * * * * until 2026-12-02 14:00")
    assert [run.strftime("%H:%M") for run in schedules.next_runs(cron, tz=PARIS, after=NOW, count=10)] == [
        "13:15",
        "13:30",
        "13:45",
    ]
    assert schedules.run_summary(parse("every 5 minutes"), tz=PARIS, after=NOW) is None
    assert schedules.run_summary(five, tz=PARIS, after=NOW, runs_done=5) == "No runs left."


@pytest.mark.django_db
def test_a_schedule_that_ends_is_stored_where_beat_honours_it_and_reads_back():
    task = services.schedule("echo", ["x"], schedule_text="every 10 seconds, 5 times", name="five")
    assert RunLimit.objects.get(periodic_task=task).max_runs == 5
    assert schedules.from_periodic_task(PeriodicTask.objects.get(pk=task.pk)).limits.times == 5

    # A new schedule replaces the limits and starts the count again.
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=3)
    task.refresh_from_db()
    changed = services.change_periodic(task, {"schedule": "every 1 minutes until 2030-01-01 00:00"})
    changed.refresh_from_db()
    assert changed.total_run_count == 0
    assert not RunLimit.objects.filter(periodic_task=changed).exists()
    assert changed.expires is not None and changed.start_time is None


@pytest.mark.django_db
def test_limits_set_in_the_admin_are_honoured_the_same_way():
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    start = datetime(2099, 1, 1, 9, tzinfo=UTC)
    task = PeriodicTask.objects.create(
        name="by hand",
        task="tasks_app.tasks.echo",
        interval=every,
        start_time=start,
        expires=start + timedelta(hours=3),
    )
    summary = summarize(PeriodicTask.objects.get(pk=task.pk), count=10)
    assert summary.next_runs[0] == start
    assert len(summary.next_runs) == 3  # 09:00, 10:00, 11:00; 12:00 is `until` itself
    assert summary.runs_left.startswith("3 runs")


@pytest.mark.django_db
def test_beat_finishes_a_schedule_after_its_runs_and_keeps_it_with_its_last_run():
    task = services.schedule("echo", ["x"], schedule_text="every 1 seconds, 2 times", name="twice")
    last_run = datetime(2026, 12, 1, tzinfo=UTC)
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=2, last_run_at=last_run)
    row = PeriodicTask.objects.select_related("run_limit").get(pk=task.pk)
    entry = ModelEntry(row, app=project_app)
    assert entry.is_due().is_due is False
    row.refresh_from_db()
    assert (row.enabled, row.total_run_count, row.last_run_at) == (False, 2, last_run)
    summary = summarize(row)
    assert summary.finished == "Finished after 2 of 2 runs."
    assert summary.next_runs == []


@pytest.mark.django_db
def test_until_ends_the_schedule_but_not_the_runs_already_sent():
    task = services.schedule("echo", ["x"], schedule_text="every 1 hours until 2030-01-01 00:00", name="until")
    entry = ModelEntry(PeriodicTask.objects.select_related("run_limit").get(pk=task.pk), app=project_app)
    assert "expires" not in entry.options  # a run waiting for a worker is not revoked at `until`


@pytest.mark.django_db
def test_the_api_and_the_form_preview_say_how_many_runs_are_left(client):
    body = client.get("/api/schedules/preview/", {"text": "every 10 seconds, 5 times"}).json()
    assert body["text"] == "every 10 seconds, 5 times"
    assert body["runs"].startswith("5 runs, the last at ")
    assert len(body["next_runs"]) == 5
    refused = client.get("/api/schedules/preview/", {"text": "every day, 0 times"})
    assert refused.status_code == 400 and refused.json()["field"] == "schedule"

    response = client.post(
        "/api/periodic/",
        {"task": "echo", "args": ["hi"], "schedule": "@daily, 7 times"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["runs_left"].startswith("7 runs")
    assert response.json()["finished"] is None


@pytest.mark.django_db
def test_the_cli_takes_the_same_text(capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("enqueue", "echo", "--args", '["hi"]', "--schedule", "every 5 minutes, 3 times", "--name", "cli")
    assert RunLimit.objects.get(periodic_task__name="cli").max_runs == 3
    with pytest.raises(CommandError, match="would never run"):
        call_command("enqueue", "echo", "--args", "[1]", "--schedule", "every 5 minutes, 0 times")
    with pytest.raises(TaskInputError):
        services.schedule("echo", [], schedule_text="at 2099-01-01 09:00, 2 times")


# --- Runs that cannot be counted ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fit"),
    [
        ("@yearly, 8000 times", 7973),
        ("every 1000 days, 5000 times", 2912),
        ("0 0 29 2 *, 10000 times", 1933),
        ("0 0 31 12 *, 9000 times", 7973),
    ],
)
def test_a_schedule_whose_runs_go_past_the_last_date_is_refused_saying_how_many_fit(text, fit):
    started = time.perf_counter()
    with pytest.raises(ScheduleError) as refused:
        parse(text)
    assert refused.value.message.endswith(
        f"would still be running after 9999-12-30, the last date this site can count to: only {fit:,} of its "
        f"runs fall before then. Write at most {fit:,} times, or give it an end with 'until'."
    )
    base = text.rsplit(",", 1)[0]
    assert schedules.run_summary(parse(f"{base}, {fit} times"), tz=PARIS, after=NOW).startswith(f"{fit:,} runs")
    assert time.perf_counter() - started < 1


def test_a_stored_schedule_past_the_last_date_is_a_schedule_error_not_an_overflow():
    # As a row written in the database could hold it: no parse() to refuse it.
    yearly = CrontabSpec("0", "0", "1", "1", "*", Limits(times=8000))
    with pytest.raises(ScheduleError, match="only 7,973 of its runs fall before then"):
        schedules.run_summary(yearly, tz=PARIS, after=NOW)
    assert len(schedules.next_runs(yearly, tz=PARIS, after=NOW, count=10_000)) == 7973  # stops at the last date
    late = IntervalSpec(1, "hours", Limits(times=3, start=datetime(9999, 12, 31, 23, tzinfo=UTC)))
    with pytest.raises(ScheduleError, match="would not run before 9999-12-30"):
        schedules.run_summary(late, tz=PARIS, after=NOW)


ZONES = [UTC, PARIS, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]  # +14:00 and -12:00
# Anything a row could hold: times that are no longer the grammar's, from year 1 to 9999.
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=st.just(UTC))
crontabs = st.sampled_from(["0 0 1 1 *", "0 0 29 2 *", "0 0 31 12 *", "*/15 * * * *", "0 0 29 2 mon", "30 9 * * 1-5"])
intervals = st.builds(
    IntervalSpec,
    st.integers(min_value=-2, max_value=10**10),
    st.sampled_from(["seconds", "minutes", "hours", "days", "microseconds", "weeks", "fortnights"]),
)
stored_specs = st.builds(
    lambda base, times, start, until: replace(base, limits=Limits(times=times, start=start, until=until)),
    crontabs.map(parse) | intervals,
    st.none() | st.integers(min_value=0, max_value=2**31),
    st.none() | moments,
    st.none() | moments,
) | moments.map(schedules.ClockedSpec)


@settings(max_examples=150, deadline=None)
@given(
    spec=stored_specs,
    tz=st.sampled_from(ZONES),
    # Pages ask from now, or from an interval's last run (any stored time after year 1's first days).
    after=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)),
    runs_done=st.integers(min_value=0, max_value=2**31),
)
def test_runs_and_summaries_of_any_stored_schedule_are_bounded_or_a_schedule_error(spec, tz, after, runs_done):
    try:
        runs = schedules.next_runs(spec, tz=tz, after=after, count=5, runs_done=runs_done)
    except ScheduleError:
        event("next runs: ScheduleError")
    else:
        assert len(runs) <= 5 and runs == sorted(runs)
        assert all(after < run <= schedules.LAST_MOMENT for run in runs)
    try:
        summary = schedules.run_summary(spec, tz=tz, after=after, runs_done=runs_done)
    except ScheduleError as error:
        event("summary: ScheduleError")
        assert error.message
    else:
        assert summary is None or summary.endswith(".")


@pytest.mark.django_db
def test_a_row_that_fails_in_an_unforeseen_way_shows_the_error_and_is_logged(monkeypatch, caplog):
    task = services.schedule("echo", ["x"], schedule_text="every 5 minutes", name="odd")

    def unforeseen(spec, *, tz):
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(schedules, "describe", unforeseen)
    summary = summarize(PeriodicTask.objects.get(pk=task.pk))
    assert summary.error == (
        "Its schedule cannot be described (RuntimeError: unforeseen); change it, or delete the task."
    )
    assert (summary.schedule_text, summary.next_runs, summary.runs_left) == ("every 5 minutes", [], None)
    assert "Periodic task 'odd' cannot be described" in caplog.text
