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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"
