"""Schedule text: what a person may type, what it becomes, how it reads, when it runs, and its rows.

Every test uses the fixed NOW below, never the wall clock, so none of them can age into a failure.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask, SolarSchedule
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_app import schedules
from tasks_app.schedules import ClockedSpec, CrontabSpec, IntervalSpec, ScheduleError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30: a crontab's "minute 0" is not UTC's


def cron(minute="*", hour="*", day_of_month="*", month_of_year="*", day_of_week="*") -> CrontabSpec:
    return CrontabSpec(minute, hour, day_of_month, month_of_year, day_of_week)


def parse(text, tz=UTC):
    return schedules.parse(text, tz=tz, now=NOW)


def runs(text, after, tz=UTC, count=5) -> list[str]:
    return [run.isoformat() for run in schedules.next_runs(parse(text, tz), tz=tz, after=after, count=count)]


# --- What a person may type ---------------------------------------------------------------

ACCEPTED = [
    # crontab lines, crontab(5) order
    ("*/15 * * * *", UTC, cron("*/15")),
    ("0 4 * * 1-5", UTC, cron("0", "4", day_of_week="1-5")),
    ("30 9 1,15 * *", UTC, cron("30", "9", "1,15")),
    ("0 0 * * mon-fri", UTC, cron("0", "0", day_of_week="mon-fri")),
    ("0 0 * * MON-FRI", UTC, cron("0", "0", day_of_week="mon-fri")),
    ("0 0 * * monday,Friday", UTC, cron("0", "0", day_of_week="mon,fri")),
    ("0 12 * jan-mar,DEC *", UTC, cron("0", "12", month_of_year="jan-mar,dec")),
    ("0 12 * January *", UTC, cron("0", "12", month_of_year="jan")),
    ("05 09 * * *", UTC, cron("5", "9")),
    ("  0\t4  *  *  *  ", UTC, cron("0", "4")),
    ("0-30/10 8-18/2 */2 */3 0-6/2", UTC, cron("0-30/10", "8-18/2", "*/2", "*/3", "0-6/2")),
    ("*/59 */23 */30 */11 */6", UTC, cron("*/59", "*/23", "*/30", "*/11", "*/6")),
    ("0 0 29 2 *", UTC, cron("0", "0", "29", "2")),
    ("59 23 31 12 6", UTC, cron("59", "23", "31", "12", "6")),
    ("0 0 1 * sun", UTC, cron("0", "0", "1", day_of_week="sun")),
    ("0 0 * * sun-sat", UTC, cron("0", "0", day_of_week="sun-sat")),
    # nicknames
    ("@hourly", UTC, cron("0")),
    ("@daily", UTC, cron("0", "0")),
    ("@midnight", UTC, cron("0", "0")),
    ("@weekly", UTC, cron("0", "0", day_of_week="0")),
    ("@monthly", UTC, cron("0", "0", "1")),
    ("@yearly", UTC, cron("0", "0", "1", "1")),
    ("@annually", UTC, cron("0", "0", "1", "1")),
    ("@DAILY", UTC, cron("0", "0")),
    # intervals
    ("every 30 seconds", UTC, IntervalSpec(30, "seconds")),
    ("every 5 minutes", UTC, IntervalSpec(5, "minutes")),
    ("every 2 hours", UTC, IntervalSpec(2, "hours")),
    ("every day", UTC, IntervalSpec(1, "days")),
    ("every 1 day", UTC, IntervalSpec(1, "days")),
    ("every 3 days", UTC, IntervalSpec(3, "days")),
    ("every second", UTC, IntervalSpec(1, "seconds")),
    ("every minute", UTC, IntervalSpec(1, "minutes")),
    ("every hour", UTC, IntervalSpec(1, "hours")),
    ("every 1 hours", UTC, IntervalSpec(1, "hours")),
    ("every 5 minute", UTC, IntervalSpec(5, "minutes")),
    ("EVERY 10 Seconds", UTC, IntervalSpec(10, "seconds")),
    ("every 05 minutes", UTC, IntervalSpec(5, "minutes")),
    ("every 3650 days", UTC, IntervalSpec(3650, "days")),
    ("every 315360000 seconds", UTC, IntervalSpec(315360000, "seconds")),
    # one-off times, in the site's zone
    ("at 2026-12-01 09:30", UTC, ClockedSpec(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))),
    ("at 2026-12-01 09:30", BERLIN, ClockedSpec(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))),
    ("at 2026-12-01 09:30:15", BERLIN, ClockedSpec(datetime(2026, 12, 1, 8, 30, 15, tzinfo=UTC))),
    ("AT 2026-12-01   9:30", UTC, ClockedSpec(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))),
    ("at 2026-11-23 12:00:01", UTC, ClockedSpec(datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC))),
    ("at 2026-11-23 18:00", KOLKATA, ClockedSpec(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))),
    # 02:30 happens twice when Berlin's clocks go back: the first one (still summer time) counts.
    ("at 2027-10-31 02:30", BERLIN, ClockedSpec(datetime(2027, 10, 31, 0, 30, tzinfo=UTC))),
]


@pytest.mark.parametrize(("text", "tz", "expected"), ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_every_accepted_form_becomes_its_spec(text, tz, expected):
    assert parse(text, tz) == expected


@pytest.mark.parametrize(("text", "tz", "expected"), ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_the_canonical_text_parses_back_to_the_same_spec(text, tz, expected):
    spec = parse(text, tz)
    canonical = schedules.text_of(spec, tz=tz)
    assert parse(canonical, tz) == spec
    assert schedules.text_of(parse(canonical, tz), tz=tz) == canonical


@pytest.mark.parametrize(
    ("text", "tz", "canonical"),
    [
        ("0 0 * * MONDAY,Friday", UTC, "0 0 * * mon,fri"),
        ("@weekly", UTC, "0 0 * * 0"),
        ("  05  09 * * *", UTC, "5 9 * * *"),
        ("every 1 day", UTC, "every day"),
        ("Every 2 Hour", UTC, "every 2 hours"),
        ("at 2026-12-01 9:30", BERLIN, "at 2026-12-01 09:30"),
        ("at 2026-12-01 09:30:15", BERLIN, "at 2026-12-01 09:30:15"),
    ],
)
def test_text_of_writes_the_canonical_form(text, tz, canonical):
    assert schedules.text_of(parse(text, tz), tz=tz) == canonical


def test_a_clocked_time_is_written_in_the_zone_it_is_shown_in():
    spec = ClockedSpec(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    assert schedules.text_of(spec, tz=UTC) == "at 2026-12-01 08:30"
    assert schedules.text_of(spec, tz=BERLIN) == "at 2026-12-01 09:30"


# --- What is refused, and what the person is told ---------------------------------------

REFUSED = [
    # crontab fields, each named, with the range Celery reads
    ("61 * * * *", UTC, "The minute field '61' is not valid: minutes are 0-59."),
    ("* 24 * * *", UTC, "The hour field '24' is not valid: hours are 0-23."),
    ("* 25 * * *", UTC, "The hour field '25' is not valid: hours are 0-23."),
    ("* * 0 * *", UTC, "The day-of-month field '0' is not valid: days of the month are 1-31."),
    ("* * 32 * *", UTC, "The day-of-month field '32' is not valid: days of the month are 1-31."),
    ("* * * 13 *", UTC, "The month field '13' is not valid: months are 1-12 or jan-dec."),
    ("* * * * 8", UTC, "The day-of-week field '8' is not valid: days of the week are 0-6 (Sunday=0) or sun-sat."),
    ("* * * * 7", UTC, "days of the week are 0-6 (Sunday=0) or sun-sat (write 0 or sun for Sunday)."),
    ("0 0 L * *", UTC, "The day-of-month field 'L' is not valid: days of the month are 1-31"),
    ("mon * * * *", UTC, "The minute field 'mon' is not valid: minutes are 0-59"),
    ("0 0 * * jan", UTC, "The day-of-week field 'jan' is not valid"),
    ("0 0 * sun *", UTC, "The month field 'sun' is not valid"),
    ("0 0 * * monkey", UTC, "The day-of-week field 'monkey' is not valid"),
    ("*/0 * * * *", UTC, "The minute field '*/0' is not valid: a step (after /) must be a whole number of 1 or more."),
    ("*/ * * * *", UTC, "a step (after /) must be a whole number of 1 or more."),
    ("*/90 * * * *", UTC, "so it matches only once an hour. To repeat every 90 minutes, write: every 90 minutes."),
    ("0 */24 * * *", UTC, "The hour field '*/24' is not valid: a step of 24 is not smaller than the field"),
    ("0 0 * * */7", UTC, "so it matches only once a week."),
    ("5/2 * * * *", UTC, "a step needs * or a range before it, as in */15 or 0-30/15."),
    ("0 22-2 * * *", UTC, "The hour field '22-2' is not valid: a range goes from low to high; write 22-23,0-2"),
    ("0 0 * * fri-mon", UTC, "a range goes from low to high; write fri-sat,sun-mon to wrap round."),
    ("1,,2 * * * *", UTC, "minutes are 0-59; write *, a number, a range (1-5), a list (1,15) or a step (*/15)."),
    ("1, * * * *", UTC, "The minute field '1,' is not valid"),
    # Celery would quietly ignore what follows a range or a step, or read these digits: we refuse.
    ("1-5-7 * * * *", UTC, "The minute field '1-5-7' is not valid"),
    ("1-5/2/3 * * * *", UTC, "The minute field '1-5/2/3' is not valid"),
    ("** * * * *", UTC, "The minute field '**' is not valid"),
    ("+5 * * * *", UTC, "The minute field '+5' is not valid"),
    ("\u0663 * * * *", UTC, "The schedule contains '\u0663' (U+0663, ARABIC-INDIC DIGIT THREE); write numbers"),
    ("0 0 30 2 *", UTC, "The day-of-month field '30' never occurs in the month field '2', so this would never run."),
    ("0 0 31 4,6 *", UTC, "never occurs in the month field '4,6'"),
    ("0 " + ",".join(["1"] * 60) + " * * *", UTC, "it is 119 characters long and at most 96 fit."),
    # the wrong number of fields, or no form at all
    ("* * *", UTC, "A crontab line has 5 fields (minute hour day-of-month month day-of-week), but '* * *' has 3."),
    ("0 4 * * * 2026", UTC, "but '0 4 * * * 2026' has 6."),
    ("tomorrow", UTC, "'tomorrow' is not a schedule. Write a crontab line"),
    ("run it now please", UTC, "'run it now please' is not a schedule."),
    ("@sometimes", UTC, "Unknown nickname '@sometimes'; use one of @hourly, @daily, @midnight, @weekly,"),
    ("@reboot", UTC, "Unknown nickname '@reboot'"),
    ("@daily 0 0 * * *", UTC, "Unknown nickname '@daily 0 0 * * *'"),
    # intervals
    ("every 0 minutes", UTC, "The interval must be at least 1 minute, as in: every 5 minutes."),
    ("every -5 minutes", UTC, "The interval must be a positive whole number, not '-5'."),
    ("every 1.5 hours", UTC, "not '1.5'; 1.5 hours is every 90 minutes."),
    ("every 0.5 days", UTC, "not '0.5'; 0.5 days is every 12 hours."),
    ("every 5 fortnights", UTC, "'fortnights' is not a unit here: use seconds, minutes, hours or days."),
    ("every 2 weeks", UTC, "(for weeks, count days: every 14 days)"),
    ("every 5 ms", UTC, "'ms' is not a unit here"),
    ("every", UTC, "Say how often after 'every', as in: every 5 minutes"),
    ("every 5", UTC, "Say which unit after the number, as in: every 5 minutes."),
    ("every five minutes", UTC, "'five' is not a number."),
    ("every 5 minutes please", UTC, "An interval is 'every', a number and a unit, as in: every 5 minutes."),
    ("every 3651 days", UTC, "every 3651 days is too long: the longest interval is 10 years (3650 days)."),
    ("every 315360001 seconds", UTC, "the longest interval is 10 years (315360000 seconds)."),
    # one-off times
    ("at 2020-01-01 00:00", UTC, "2020-01-01 00:00 (UTC) has already passed: it is now 2026-11-23 12:00 (UTC)."),
    ("at 2026-11-23 12:00", UTC, "2026-11-23 12:00 (UTC) has already passed"),
    ("at 2026-11-23 12:30", BERLIN, "has already passed: it is now 2026-11-23 13:00 (Europe/Berlin)."),
    ("at 0001-01-01 00:00", KOLKATA, "0001-01-01 00:00 (Asia/Kolkata) has already passed"),
    ("at 2026-13-01 09:00", UTC, "'2026-13-01 09:00' is not a real date and time (month must be in 1..12)."),
    ("at 2026-02-30 09:00", UTC, "is not a real date and time (day is out of range for month)."),
    ("at 2026-12-01 24:00", UTC, "is not a real date and time (hour must be in 0..23)."),
    ("at tomorrow", UTC, "A one-off time is written 'at YYYY-MM-DD HH:MM' (24-hour clock, UTC time)"),
    ("at 2026-12-01", UTC, "A one-off time is written 'at YYYY-MM-DD HH:MM'"),
    ("at 2026-12-01 9:30 pm", UTC, "A one-off time is written 'at YYYY-MM-DD HH:MM'"),
    ("at 2026-12-01T09:30", UTC, "A one-off time is written 'at YYYY-MM-DD HH:MM'"),
    ("at", UTC, "A one-off time is written 'at YYYY-MM-DD HH:MM'"),
    ("at 2027-03-28 02:30", BERLIN, "2027-03-28 02:30 does not exist in Europe/Berlin: the clocks skip it"),
    ("at 2037-01-01 00:00", UTC, "2037-01-01 00:00 is more than 10 years ahead"),
    ("at 9999-12-31 23:59", ZoneInfo("America/Los_Angeles"), "9999-12-31 23:59 is more than 10 years ahead"),
    # not text a form should ever pass on
    ("", UTC, "The schedule is empty."),
    ("   ", UTC, "The schedule is empty."),
    ("x" * 500, UTC, "The schedule is 500 characters long; the most is 200."),
    ("0 4 * * *\x00", UTC, "The schedule contains a control character (U+0000)"),
    ("0 4 * *\n*", UTC, "a control character (U+000A)"),
    ("every\u200b5 minutes", UTC, "a control character (U+200B)"),
    ("every 5 minutes\u202e", UTC, "a control character (U+202E)"),
]

# Every message carries something the person can type instead.
EXAMPLE = re.compile(r"30 9 \* \* 1-5|every \d+ \w+|at \d{4}-\d\d-\d\d \d\d:\d\d")


@pytest.mark.parametrize(("text", "tz", "fragment"), REFUSED, ids=[repr(case[0])[:40] for case in REFUSED])
def test_wrong_input_says_what_is_wrong_and_shows_an_example(text, tz, fragment):
    with pytest.raises(ScheduleError) as caught:
        parse(text, tz)
    message = caught.value.message
    assert fragment in message
    assert EXAMPLE.search(message), message
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_a_wall_time_the_clocks_skip_suggests_the_time_it_would_become():
    with pytest.raises(ScheduleError, match="Pick another time, such as: at 2027-03-28 03:30"):
        parse("at 2027-03-28 02:30", BERLIN)


def test_an_example_one_off_time_is_always_in_the_future():
    with pytest.raises(ScheduleError) as caught:
        parse("at noon", BERLIN)
    assert "as in: at 2026-11-24 09:00." in caught.value.message
    assert parse("at 2026-11-24 09:00", BERLIN)  # the example itself is accepted


def test_text_that_is_not_a_string_is_refused():
    with pytest.raises(ScheduleError, match="The schedule must be text"):
        schedules.parse(None, tz=UTC, now=NOW)


def test_two_hundred_characters_are_not_too_long():
    minutes = ",".join(str(minute) for minute in range(60))
    text = minutes + " " * (200 - len(minutes) - len(" 4 * * *")) + " 4 * * *"
    assert len(text) == 200
    assert parse(text) == cron(minutes, "4")


# --- How it reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tz", "description"),
    [
        ("*/15 * * * *", UTC, "Every 15 minutes (UTC)"),
        ("0 4 * * 1-5", BERLIN, "At 04:00, Monday through Friday (Europe/Berlin)"),
        ("0 0 * * mon-fri", UTC, "At 00:00, Monday through Friday (UTC)"),
        ("30 9 1,15 * *", UTC, "At 09:30, on day 1 and 15 of the month (UTC)"),
        ("@daily", KOLKATA, "At 00:00 (Asia/Kolkata)"),
        ("@hourly", UTC, "Every hour (UTC)"),
        ("0 0 29 2 *", UTC, "At 00:00, on day 29 of the month, only in February (UTC)"),
        # cron_descriptor alone says "Between 09:00 and 17:59", as if every minute.
        ("0 9-17 * * *", UTC, "At 00 minutes past the hour, between 09:00 and 17:59 (UTC)"),
        # Celery ANDs day of month and day of week; cron(5) would OR them. Say so.
        (
            "0 12 1 * mon",
            UTC,
            "At 12:00, on day 1 of the month, only on Monday, "
            "only on days that match both the day of the month and the day of the week (UTC)",
        ),
        ("0 0 1 * *", UTC, "At 00:00, on day 1 of the month (UTC)"),
        ("0 0 * * 0-6", UTC, "At 00:00, Sunday through Saturday (UTC)"),
        ("every 5 minutes", BERLIN, "Every 5 minutes"),
        ("every 30 seconds", UTC, "Every 30 seconds"),
        ("every 1 hour", UTC, "Every hour"),
        ("every day", UTC, "Every day"),
        ("every 3 days", UTC, "Every 3 days"),
        ("at 2026-12-01 09:30", BERLIN, "Once, at 2026-12-01 09:30 (Europe/Berlin)"),
        ("at 2026-12-01 09:30:15", UTC, "Once, at 2026-12-01 09:30:15 (UTC)"),
    ],
)
def test_describe_reads_as_plain_english_naming_the_zone(text, tz, description):
    assert schedules.describe(parse(text, tz), tz=tz) == description


def test_describe_copes_with_a_row_made_elsewhere_that_cron_descriptor_cannot_read():
    # Celery reads a full day name; cron_descriptor does not, and our grammar would have abbreviated it.
    odd = cron("0", "0", day_of_week="sunday")
    assert schedules.describe(odd, tz=UTC) == "On the crontab schedule '0 0 * * sunday' (UTC)"


# --- When it runs -------------------------------------------------------------------------


def test_every_quarter_hour():
    assert runs("*/15 * * * *", datetime(2026, 11, 23, 12, 7, tzinfo=UTC)) == [
        "2026-11-23T12:15:00+00:00",
        "2026-11-23T12:30:00+00:00",
        "2026-11-23T12:45:00+00:00",
        "2026-11-23T13:00:00+00:00",
        "2026-11-23T13:15:00+00:00",
    ]


def test_runs_are_strictly_after_after():
    assert runs("*/15 * * * *", datetime(2026, 11, 23, 12, 15, tzinfo=UTC), count=1) == ["2026-11-23T12:30:00+00:00"]
    just_before = datetime(2026, 11, 23, 12, 14, 59, 999999, tzinfo=UTC)
    assert runs("*/15 * * * *", just_before, count=1) == ["2026-11-23T12:15:00+00:00"]


def test_weekdays_skip_the_weekend():
    friday = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert runs("0 4 * * 1-5", friday) == [
        "2026-11-30T04:00:00+00:00",
        "2026-12-01T04:00:00+00:00",
        "2026-12-02T04:00:00+00:00",
        "2026-12-03T04:00:00+00:00",
        "2026-12-04T04:00:00+00:00",
    ]


def test_day_of_month_and_day_of_week_must_both_match():
    # The 1st or 15th that is a Monday: cron(5) would also run every Monday.
    assert runs("0 0 1,15 * mon", NOW) == [
        "2027-02-01T00:00:00+00:00",
        "2027-02-15T00:00:00+00:00",
        "2027-03-01T00:00:00+00:00",
        "2027-03-15T00:00:00+00:00",
        "2027-11-01T00:00:00+00:00",
    ]


def test_runs_are_in_the_zone_asked_for_whatever_zone_after_is_in():
    upcoming = schedules.next_runs(parse("30 9 * * *", BERLIN), tz=BERLIN, after=NOW, count=2)
    assert [run.isoformat() for run in upcoming] == ["2026-11-24T09:30:00+01:00", "2026-11-25T09:30:00+01:00"]
    assert all(run.tzinfo == BERLIN for run in upcoming)


def test_a_zone_with_a_half_hour_offset():
    assert runs("0 * * * *", NOW, tz=KOLKATA, count=2) == ["2026-11-23T18:00:00+05:30", "2026-11-23T19:00:00+05:30"]


def test_a_wall_time_the_clocks_skip_runs_when_it_becomes_as_beat_does():
    # Berlin springs forward on 2026-03-29: 02:00 becomes 03:00, so there is no 02:30 that day;
    # Celery's crontab sends it at 03:30 summer time.
    assert runs("30 2 * * *", datetime(2026, 3, 27, 12, 0, tzinfo=BERLIN), tz=BERLIN) == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
        "2026-04-01T02:30:00+02:00",
    ]


def test_a_wall_time_the_clocks_skip_and_the_hour_after_run_once():
    assert runs("30 2,3 * * *", datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), tz=BERLIN, count=2) == [
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]


def test_a_skipped_wall_time_keeps_its_place_in_order():
    # 02:45 becomes 03:45 summer time, after the real 03:00.
    assert runs("45 2 * * *", datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), tz=BERLIN, count=1) == [
        "2026-03-29T03:45:00+02:00"
    ]
    assert runs("0 3 * * *", datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), tz=BERLIN, count=1) == [
        "2026-03-29T03:00:00+02:00"
    ]


def test_a_wall_time_that_happens_twice_runs_once_at_its_first_occurrence():
    # Berlin falls back on 2026-10-25: 03:00 summer time becomes 02:00 winter time.
    assert runs("*/30 * * * *", datetime(2026, 10, 25, 1, 40, tzinfo=BERLIN), tz=BERLIN) == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]


def test_after_inside_the_repeated_hour_is_compared_as_a_moment_not_a_wall_time():
    # 02:40 the second time round (winter time) is later than 02:30 the first time round.
    second_time_round = datetime(2026, 10, 25, 2, 40, fold=1, tzinfo=BERLIN)
    assert runs("*/30 * * * *", second_time_round, tz=BERLIN, count=2) == [
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


def test_a_sparse_crontab_looks_years_ahead_quickly():
    started = time.perf_counter()
    assert runs("0 0 29 2 *", NOW) == [
        "2028-02-29T00:00:00+00:00",
        "2032-02-29T00:00:00+00:00",
        "2036-02-29T00:00:00+00:00",
        "2040-02-29T00:00:00+00:00",
        "2044-02-29T00:00:00+00:00",
    ]
    # A Feb 29th that is a Monday: up to 40 years apart (2072 -> 2112), and every one is listed.
    assert runs("0 0 29 2 1", NOW) == [
        "2044-02-29T00:00:00+00:00",
        "2072-02-29T00:00:00+00:00",
        "2112-02-29T00:00:00+00:00",
        "2140-02-29T00:00:00+00:00",
        "2168-02-29T00:00:00+00:00",
    ]
    assert time.perf_counter() - started < 1


def test_every_minute_is_quick_too():
    started = time.perf_counter()
    assert runs("* * * * *", datetime(2026, 11, 23, 23, 58, 30, tzinfo=UTC), count=3) == [
        "2026-11-23T23:59:00+00:00",
        "2026-11-24T00:00:00+00:00",
        "2026-11-24T00:01:00+00:00",
    ]
    assert time.perf_counter() - started < 1


def _celery_runs(spec: CrontabSpec, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """What Celery's own crontab says, asked one run at a time the way beat asks it."""
    schedule = schedules.celery_crontab(spec)
    schedule.tz = tz
    found, last = [], after.astimezone(tz)
    for _ in range(count):
        schedule.nowfun = lambda last=last: last
        last = (last.astimezone(UTC) + schedule.remaining_estimate(last)).astimezone(tz)
        found.append(last)
    return found


@pytest.mark.parametrize("tz", [UTC, KOLKATA], ids=["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "text",
    [
        "*/15 * * * *",
        "7,37 */5 * * *",
        "0 4 * * 1-5",
        "30 9 1,15 * *",
        "0 0 1,15 * mon",
        "0-30/10 8-18/2 */2 */3 0-6/2",
        "59 23 31 * *",
        "0 12 13 * fri",
        "0 0 29 2 *",
        "0 0 29 2 mon",  # up to 40 years apart
        "0 0 1 1 mon",
        "@yearly",
    ],
)
def test_next_runs_agree_with_celery(text, tz):
    spec = parse(text)
    after = datetime(2026, 6, 10, 8, 37, 12, tzinfo=tz)
    ours = schedules.next_runs(spec, tz=tz, after=after, count=6)
    assert ours == _celery_runs(spec, tz, after, 6)


def test_an_interval_counts_elapsed_time_from_after():
    assert runs("every 5 minutes", NOW, count=3) == [
        "2026-11-23T12:05:00+00:00",
        "2026-11-23T12:10:00+00:00",
        "2026-11-23T12:15:00+00:00",
    ]
    # Across the autumn change an hour is an hour: 02:30 comes twice.
    assert runs("every 1 hour", datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN), tz=BERLIN, count=3) == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


def test_a_one_off_time_runs_once_if_it_is_still_ahead():
    spec = ClockedSpec(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    assert [run.isoformat() for run in schedules.next_runs(spec, tz=BERLIN, after=NOW)] == ["2026-12-01T09:30:00+01:00"]
    assert schedules.next_runs(spec, tz=BERLIN, after=spec.at) == []
    assert schedules.next_runs(spec, tz=BERLIN, after=spec.at + timedelta(days=1)) == []


def test_count_limits_the_list():
    assert runs("@hourly", NOW, count=1) == ["2026-11-23T13:00:00+00:00"]
    assert runs("@hourly", NOW, count=0) == []
    assert runs("every 5 minutes", NOW, count=0) == []


def test_after_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        schedules.next_runs(parse("@daily"), tz=UTC, after=datetime(2026, 11, 23, 12, 0))


def test_a_crontab_celery_cannot_read_is_an_error_naming_it():
    # A row edited elsewhere: beat cannot run it either, and its page says why instead of "none".
    with pytest.raises(ScheduleError, match=r"The crontab line '\* \* \* \* 7' is not one Celery can read"):
        schedules.next_runs(cron(day_of_week="7"), tz=UTC, after=NOW)


# --- Rows ---------------------------------------------------------------------------------

SPECS = [
    (CrontabSpec("0", "4", "*", "*", "mon-fri"), CrontabSpec("0", "5", "*", "*", "mon-fri"), "crontab"),
    (IntervalSpec(5, "minutes"), IntervalSpec(5, "hours"), "interval"),
    (ClockedSpec(datetime(2026, 12, 1, 8, 30, tzinfo=UTC)), ClockedSpec(NOW + timedelta(hours=1)), "clocked"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("spec", "other", "field"), SPECS, ids=[case[2] for case in SPECS])
def test_saving_the_same_spec_twice_reuses_its_row(spec, other, field):
    with transaction.atomic():
        saved_field, row = schedules.save_schedule(spec, tz=BERLIN)
    assert saved_field == field
    assert row.pk is not None
    again_field, again = schedules.save_schedule(spec, tz=BERLIN)
    assert (again_field, again.pk) == (field, row.pk)
    _, different = schedules.save_schedule(other, tz=BERLIN)
    assert different.pk != row.pk


@pytest.mark.django_db
def test_a_crontab_row_carries_the_zone_it_is_read_in():
    _, berlin = schedules.save_schedule(parse("0 4 * * mon-fri"), tz=BERLIN)
    _, utc = schedules.save_schedule(parse("0 4 * * mon-fri"), tz=UTC)
    berlin.refresh_from_db()
    assert str(berlin.timezone) == "Europe/Berlin"
    assert (berlin.minute, berlin.hour, berlin.day_of_month, berlin.month_of_year, berlin.day_of_week) == (
        "0",
        "4",
        "*",
        "*",
        "mon-fri",
    )
    assert utc.pk != berlin.pk


@pytest.mark.django_db
def test_saved_rows_hold_what_the_spec_says():
    _, interval = schedules.save_schedule(IntervalSpec(30, "seconds"), tz=UTC)
    assert (interval.every, interval.period) == (30, IntervalSchedule.SECONDS)
    at = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    _, clocked = schedules.save_schedule(ClockedSpec(at), tz=BERLIN)
    clocked.refresh_from_db()
    assert clocked.clocked_time == at


@pytest.mark.django_db
def test_duplicate_rows_made_elsewhere_do_not_break_saving():
    # No unique constraint stops the admin from making two identical rows.
    first = IntervalSchedule.objects.create(every=7, period="minutes")
    IntervalSchedule.objects.create(every=7, period="minutes")
    assert schedules.save_schedule(IntervalSpec(7, "minutes"), tz=UTC) == ("interval", first)


@pytest.mark.django_db
def test_the_spec_of_a_periodic_task_is_read_back():
    for index, text in enumerate(["30 9 1,15 * *", "every 3 days", "at 2026-12-01 09:30"]):
        spec = parse(text, BERLIN)
        field, row = schedules.save_schedule(spec, tz=BERLIN)
        task = PeriodicTask.objects.create(
            name=f"read back {index}", task="tasks_app.tasks.echo", one_off=field == "clocked", **{field: row}
        )
        assert schedules.from_periodic_task(PeriodicTask.objects.get(pk=task.pk)) == spec


@pytest.mark.django_db
def test_a_solar_schedule_has_no_spec():
    solar = SolarSchedule.objects.create(event="sunrise", latitude=52.52, longitude=13.40)
    task = PeriodicTask.objects.create(name="at sunrise", task="tasks_app.tasks.echo", solar=solar)
    assert schedules.from_periodic_task(task) is None


def test_every_period_is_one_django_celery_beat_knows():
    periods = {value for value, _label in IntervalSchedule.PERIOD_CHOICES}
    for text in ["every 30 seconds", "every 5 minutes", "every 2 hours", "every 3 days"]:
        assert parse(text).period in periods


# --- Digits: 0-9 only -----------------------------------------------------------------------

# Every character Python calls numeric outside ASCII: superscripts (isdigit() but not int()),
# Arabic-Indic and mathematical digits (int() reads them as 0-9), fractions, Roman numerals, CJK.
OTHER_DIGITS = [char for char in map(chr, range(0x80, 0x110000)) if char.isnumeric()]
# Every place schedule text holds a number: counts, intervals, each crontab field, from and until.
NUMBER_PLACES = [
    "every 10 seconds, {} times",
    "every {} minutes",
    "every 1{} hours",
    "{} 4 * * *",
    "0 {} * * *",
    "0 4 {} * *",
    "0 4 * {} *",
    "0 4 * * {}",
    "*/{} * * * *",
    "0-{} * * * *",
    "0 4 * * 1,{}",
    "every day from 2026-12-0{} 09:00",
    "every day until 2027-01-01 0{}:00",
    "every day until 2027-01-01 09:{}0",
    "at 2026-12-0{} 09:30",
    "@daily, {} times",
]


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(NUMBER_PLACES), digits=st.lists(st.sampled_from(OTHER_DIGITS), min_size=1, max_size=3))
def test_a_digit_other_than_0_to_9_anywhere_is_refused_by_name(place, digits):
    text = place.format("".join(digits))
    with pytest.raises(ScheduleError) as caught:
        parse(text)
    assert f"contains {digits[0]!r} (U+{ord(digits[0]):04X}" in caught.value.message
    assert "write numbers with the digits 0-9" in caught.value.message


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["every", "5", "minutes", "*", "@daily", "from", "until", ",", "times", "at", "2026-12-01"])
        | st.sampled_from(OTHER_DIGITS)
        | st.text(max_size=4),
        max_size=8,
    )
)
def test_any_text_is_a_schedule_or_a_schedule_error(words):
    text = " ".join(words)
    try:
        parse(text)
    except ScheduleError:
        return
    assert not any(char.isnumeric() and not char.isascii() for char in text)
