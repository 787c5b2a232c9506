from django.db import models


class TaskRecord(models.Model):
    """The site's own record of a task it sent.

    django-celery-results writes nothing until a worker reports, and stores args as Python
    repr; this row exists from the moment of sending, with the real JSON args, so a status
    page can say QUEUED at once and a retry can resend exactly what was sent.
    """

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255, db_index=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=200)
    # Set when a periodic task's "run now" sent it; beat's own runs are found by their result rows.
    periodic_task_name = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"


class BeatHeartbeat(models.Model):
    """The last time each running beat ticked, so pages can say whether a beat is alive."""

    node = models.CharField(max_length=255, unique=True)  # host and pid of the beat process
    last_tick = models.DateTimeField()
    is_leader = models.BooleanField(default=False)

    def __str__(self):
        return f"{self.node} at {self.last_tick:%Y-%m-%d %H:%M:%S}"


class BeatLease(models.Model):
    """Which beat may send: the holder renews the lease as it ticks; a lease left to expire
    (a crashed beat) passes to the next beat that asks."""

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"
