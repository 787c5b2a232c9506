"""Building a task's timeline from what the site keeps (selectors.timeline): order, gaps, and the
words for each way in, retry and redelivery."""

from datetime import UTC, datetime, timedelta

from tasks_app.selectors.timeline import Facts, build, gap_text
from tasks_app.worker.restarts import interrupted_note

T0 = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def kinds(events) -> list[str]:
    return [event.event for event in events]


def test_a_task_sent_from_the_form_and_finished_has_three_events_with_their_gaps():
    events = build(
        Facts(
            state="SUCCESS",
            enqueued_at=at(0),
            sent_from="form",
            sent_by="alice",
            started_at=at(0.12),
            worker="celery@box",
            reported_at=at(1.5),
            finished_at=at(1.5),
        )
    )
    assert kinds(events) == ["sent", "started", "finished"]
    assert events[0].detail == "from the form by alice" and events[0].gap_seconds is None
    assert events[1].worker == "celery@box" and events[1].gap == "+120 ms"
    assert events[2].state == "SUCCESS" and events[2].gap == "+1.38 s"
    assert events[2].as_json()["gap_ms"] == 1380


def test_a_waiting_task_has_only_its_send_and_beats_runs_name_their_periodic_task():
    [sent] = build(Facts(state="QUEUED", enqueued_at=at(0), sent_from="beat", periodic_task="nightly"))
    assert sent.detail == 'by beat as a run of periodic task "nightly"'
    [sent] = build(Facts(state="QUEUED", enqueued_at=at(0), sent_from="outside"))
    assert sent.detail == "from another service"
    [sent] = build(Facts(state="QUEUED", enqueued_at=at(0), sent_from="", retry_of="abc"))
    assert sent.detail == "from an unknown place, retrying abc"


def test_each_retry_is_an_event_at_its_attempts_start_with_the_error_that_ended_the_one_before():
    attempts = {"attempt": 3, "errors": ["refused 1", "refused 2", "refused 3"]}
    starts = (at(1).isoformat(), at(3).isoformat(), at(7).isoformat())
    facts = Facts(
        state="FAILURE",
        enqueued_at=at(0),
        sent_from="api",
        started_at=at(7),
        worker="w1",
        attempts=attempts,
        attempt_starts=starts,
        finished_at=at(8),
        error="NetworkError: refused 3",
    )
    events = build(facts)
    assert kinds(events) == ["sent", "started", "retried", "retried", "finished"]
    assert [event.attempt for event in events[1:4]] == [1, 2, 3]
    assert events[2].at == at(3) and events[2].detail == "attempt 1 ended: refused 1"
    assert events[3].worker == "w1" and events[3].gap_seconds == 4
    assert events[4].detail == "NetworkError: refused 3"


def test_a_task_waiting_to_retry_says_which_attempt_failed():
    facts = Facts(
        state="RETRY",
        enqueued_at=at(0),
        started_at=at(1),
        worker="w1",
        attempts={"attempt": 1, "errors": ["refused"]},
        reported_at=at(2),
    )
    assert kinds(build(facts)) == ["sent", "started", "retry_waiting"]
    assert build(facts)[-1].detail == "attempt 1 failed: refused"


def test_a_run_cut_off_by_a_stopped_worker_shows_as_redelivered_and_a_first_start_not_kept_keeps_its_place():
    note = interrupted_note(1, at(5))
    facts = Facts(
        state="PROGRESS",
        enqueued_at=at(0),
        started_at=at(30),
        worker="w2",
        attempts={"attempt": 2, "errors": [note]},
        reported_at=at(31),
        progress={"percent": 50, "message": "Step 2 of 4"},
        revoke_requested_at=at(32),
    )
    events = build(facts)
    assert kinds(events) == ["sent", "started", "redelivered", "progress", "revoke_requested"]
    assert events[1].at is None and events[1].gap_seconds is None
    assert events[2].gap_seconds == 30  # since the send: the first start was not kept
    assert events[3].detail == "50% Step 2 of 4"
    assert "time not kept" in events[1].as_text() and "Redelivered (attempt 2) on w2" in events[2].as_text()


def test_events_are_put_in_time_order_and_a_revoked_queued_task_finishes_without_starting():
    events = build(Facts(state="REVOKED", enqueued_at=at(0), revoke_requested_at=None, finished_at=at(2)))
    assert kinds(events) == ["sent", "finished"]
    # A revoke requested while it ran, then its run finished: after its start, before its end.
    running = Facts(state="SUCCESS", enqueued_at=at(0), started_at=at(1), revoke_requested_at=at(2), finished_at=at(3))
    assert kinds(build(running)) == ["sent", "started", "revoke_requested", "finished"]


def test_gaps_read_as_a_person_reads_them():
    assert [gap_text(s) for s in (None, 0.0004, 0.12, 3.44, 125, 7500)] == [
        "",
        "+0 ms",
        "+120 ms",
        "+3.44 s",
        "+2 min 5 s",
        "+2 h 5 min",
    ]
