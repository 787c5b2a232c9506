"""The one door to the broker and the schedule: the form, the API and the CLI call these, never
Celery or django-celery-beat directly, so every way in validates and records alike.

    services.enqueue("echo", ["hi"])            # one task now; its record says QUEUED at once
    services.enqueue_many([{"task": "echo"}])   # thousands, in as few broker round trips as possible
    services.schedule("echo", ["hi"], schedule_text="every 5 minutes")
    services.retry(task_id); services.revoke(task_id, terminate=False)
    services.retry_failed(records); services.revoke_unfinished(records)   # every task a filter selects
    queue_purge.purge("default", by="alice")    # empty one queue, each dropped task marked so
"""

from tasks_app.models import SentFrom
from tasks_app.services.bulk import (
    BulkAction,
    count_up_to,
    retry_failed,
    retryable,
    revocable,
    revoke_unfinished,
)
from tasks_app.services.periodic import (
    CHANGEABLE,
    addon_warning,
    change_periodic,
    delete,
    finished_reason,
    parse_schedule,
    run_now,
    schedule,
    set_enabled,
)
from tasks_app.services.sending import BrokerUnavailable, enqueue, enqueue_many, site_time_zone
from tasks_app.services.task_actions import (
    RETRYABLE_STATES,
    Revocation,
    TaskNotFound,
    TaskStateConflict,
    find_record,
    retry,
    retryable_in_words,
    revoke,
)

__all__ = [
    "CHANGEABLE",
    "RETRYABLE_STATES",
    "BrokerUnavailable",
    "BulkAction",
    "Revocation",
    "SentFrom",
    "TaskNotFound",
    "TaskStateConflict",
    "addon_warning",
    "change_periodic",
    "count_up_to",
    "delete",
    "enqueue",
    "enqueue_many",
    "find_record",
    "finished_reason",
    "parse_schedule",
    "retry",
    "retry_failed",
    "retryable",
    "retryable_in_words",
    "revocable",
    "revoke",
    "revoke_unfinished",
    "run_now",
    "schedule",
    "set_enabled",
    "site_time_zone",
]
