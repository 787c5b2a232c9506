"""The tasks list: every task the site sent that a user may see, newest first, filtered, one page
at a time. The one data function behind `/tasks/`, `GET /api/tasks/`, the home page's recent
tasks and a periodic task's runs.

Pages are cut by keyset on (created_at, id) (tasks_app.selectors.pagination), never by OFFSET, and nothing
counts the table: a page is an index scan from the cursor (each filter leads an index in the same
order, see tasks_app.selectors.filters). The states the page shows are read from the result rows, the truth.
"""

from __future__ import annotations

from django.conf import settings

from tasks_app import access, validation
from tasks_app.models import TaskRecord
from tasks_app.selectors import filters, pagination, status
from tasks_app.validation import TaskInputError

ORDER = "-created_at"  # newest first: the next page is older, the previous one newer


def selected(user, cleaned_filters: dict | None = None):
    """Every task `user` may see that `cleaned_filters` (tasks_app.selectors.filters.parse) select: what a
    page shows one page of, and what retry-all and revoke-all act on."""
    records = access.visible_tasks(user, TaskRecord.objects.all())
    return filters.apply(records, cleaned_filters) if cleaned_filters else records


def chosen_ids(ids) -> list[str]:
    """Task ids a person ticked (or an API client listed), checked: a non-empty list of at most
    BULK_ACTION_MAX_TASKS strings an id could be, duplicates dropped; else TaskInputError ("ids")."""
    most = settings.BULK_ACTION_MAX_TASKS
    if not isinstance(ids, list) or not ids or not all(isinstance(task_id, str) for task_id in ids):
        raise TaskInputError("The field 'ids' must be a non-empty list of task ids, such as [\"0f4b6c9e-...\"].", "ids")
    if len(ids) > most:
        raise TaskInputError(f"{len(ids)} task ids; at most {most} at once (BULK_ACTION_MAX_TASKS).", "ids")
    for task_id in ids:
        validation.check_text(task_id, "ids", "A task id", max_chars=255)
    return list(dict.fromkeys(ids))


def chosen(user, ids: list[str], cleaned_filters: dict | None = None):
    """The chosen tasks (chosen_ids) among those `user` may see: another user's id is left out, as
    an unknown one is."""
    return selected(user, cleaned_filters).filter(task_id__in=ids)


def page(user, cleaned_filters: dict | None = None, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT):
    """One page of the tasks `user` may see, narrowed by `cleaned_filters`, each row with its
    `state` and `retried_as` (the latest retry's id, or None). Two queries: the page (with its
    retries, a subquery per row on the retry_of index) and its rows' states."""
    records = selected(user, cleaned_filters).annotate(retried_as=status.latest_retry())
    found = pagination.paginate(records, ORDER, cursor, limit)
    status.with_states(found.items)
    return found


def runs(user, periodic_task_name: str, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT):
    """One page of a periodic task's runs that `user` may see, newest first."""
    return page(user, {"periodic": periodic_task_name}, cursor, limit)
