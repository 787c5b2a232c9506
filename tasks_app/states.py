"""The states a task shows: Celery's (celery.states), the site's two, and the groups of them the
site asks about. Pure: no Django, so any module (worker signals, models, the CLI) may import it."""

from celery import states as celery_states

QUEUED = "QUEUED"  # the site's: sent, and no worker has reported yet (Celery would say PENDING)
PROGRESS = "PROGRESS"  # the site's: a running task's own report of how far it got (tasks.long_task)

FINISHED_STATES = celery_states.READY_STATES  # SUCCESS, FAILURE, REVOKED: it will not run again
FAILED_STATES = celery_states.PROPAGATE_STATES  # FAILURE, REVOKED: finished without a result
WAITING_STATES = frozenset({QUEUED, celery_states.RETRY})  # not running now: a revoke stops it for good
RUNNING_STATES = frozenset({celery_states.STARTED, PROGRESS})  # a worker runs it now
UNFINISHED_STATES = WAITING_STATES | RUNNING_STATES  # what a revoke can still act on

# Every state a task shows, in the order it passes through them: what the tasks list filters
# on and the dashboard counts.
STATES = (
    QUEUED,
    celery_states.STARTED,
    PROGRESS,
    celery_states.RETRY,
    celery_states.SUCCESS,
    celery_states.FAILURE,
    celery_states.REVOKED,
)
