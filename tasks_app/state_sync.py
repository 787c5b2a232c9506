"""TaskRecord.state mirrors the worker's state (django-celery-results' TaskResult.status), so that
the tasks list can filter by state with an index on the site's own table.

Filtering through a join on the result table made PostgreSQL walk the whole list whenever the
state asked for was rare among recent tasks (a second per page at 500,000 rows); with the state
on the record, every page of every filter is one index range scan. The result table stays the
truth: status pages and the list's state column read it.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_celery_results.models import TaskResult

from tasks_app.models import TaskRecord


@receiver(post_save, sender=TaskResult)
def mirror_state(sender, instance, **kwargs):
    """A state written with TaskResult.save() (services.revoke, a purge). Workers write through
    models.ResultWriter, which mirrors the state in the same transaction."""
    TaskRecord.mirror_state(instance.task_id, instance.status)


@receiver(post_save, sender=TaskRecord)
def catch_up(sender, instance, created, **kwargs):
    """A fast worker can report before the record it ran from is committed (services sends inside
    the record's transaction), when mirror_state finds no record to update: copy the state once
    the record is visible."""
    if created:
        transaction.on_commit(lambda: _copy_state(instance.task_id))


def _copy_state(task_id: str) -> None:
    found = TaskResult.objects.filter(task_id=task_id).values_list("status", flat=True).first()
    if found:
        TaskRecord.mirror_state(task_id, found)
