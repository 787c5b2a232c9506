"""The state groups the site asks about cover every state a task shows, each in exactly one place."""

from celery import states as celery_states

from tasks_app import states


def test_every_state_is_waiting_running_or_finished_and_only_one():
    groups = (states.WAITING_STATES, states.RUNNING_STATES, states.FINISHED_STATES)
    assert sorted(state for group in groups for state in group) == sorted(states.STATES)
    assert set(states.STATES) - states.FINISHED_STATES == states.UNFINISHED_STATES


def test_failed_states_are_celerys_and_finished():
    assert states.FAILED_STATES == celery_states.PROPAGATE_STATES
    assert states.FAILED_STATES <= states.FINISHED_STATES
