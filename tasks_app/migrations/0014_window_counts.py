"""One fixed-window counter (tasks_app.counters) instead of two: WindowCount replaces RateWindow (the
rate limits') and LoginFailures (login throttling's).

The counts of windows still in force are copied, so that neither a user's minute of sends nor an
address's few minutes of failed logins start again at the deploy: a rate limit's key is its action
and user id, a login key (a hash) stays as it was, and each row's window end is its start plus its
length (60 s; LOGIN_FAILURE_WINDOW_SECONDS as now set). Windows that have ended are not copied: they
no longer count. Going back recreates the two tables empty, which costs at most one window's counts.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

RATE_WINDOW_SECONDS = 60  # tasks_app.ratelimit.WINDOW_SECONDS when the two tables were merged


def copy_counts_in_force(apps, schema_editor):
    RateWindow = apps.get_model("tasks_app", "RateWindow")
    LoginFailures = apps.get_model("tasks_app", "LoginFailures")
    WindowCount = apps.get_model("tasks_app", "WindowCount")
    now = timezone.now()
    rate = timedelta(seconds=RATE_WINDOW_SECONDS)
    login = timedelta(seconds=max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS))
    counts = [
        WindowCount(key=f"{row.action}:{row.user_id}", window_end=row.window_start + rate, count=row.count)
        for row in RateWindow.objects.filter(window_start__gt=now - rate)
    ]
    counts += [
        WindowCount(key=row.key, window_end=row.window_start + login, count=row.count)
        for row in LoginFailures.objects.filter(window_start__gt=now - login)
    ]
    WindowCount.objects.bulk_create(counts, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0013_django_task_attempts"),
    ]

    operations = [
        migrations.CreateModel(
            name="WindowCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64)),
                ("window_end", models.DateTimeField()),
                ("count", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("window_end", "key"), name="windowcount_unique")],
            },
        ),
        migrations.RunPython(copy_counts_in_force, migrations.RunPython.noop),
        migrations.DeleteModel(name="RateWindow"),
        migrations.DeleteModel(name="LoginFailures"),
    ]
