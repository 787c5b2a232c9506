"""An index on the result table's (task_name, date_done): the stats per task type (tasks_app.selectors.task_stats)
read each type's newest runs of the day as one range of it, at any table size. django-celery-results'
own indexes hold task_name and date_done apart, so such a read walked every run of a type, or every
run of the day. The table is that app's: the index is plain SQL here, kept out of its models."""

from django.db import migrations

INDEX = "taskresult_name_done"
TABLE = "django_celery_results_taskresult"


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0016_worker_actions"),
        ("django_celery_results", "0014_alter_taskresult_status"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (task_name, date_done)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
