import hashlib
import secrets

from django.conf import settings
from django.db import models
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from tasks_app.managers import RecordManager, ResultWriter
from tasks_app.states import QUEUED


class SentFrom(models.TextChoices):
    """The way in a task was sent by (its status page's timeline says so)."""

    FORM = "form", "the form"
    API = "api", "the API"
    CLI = "cli", "the command line"
    BEAT = "beat", "beat"
    CODE = "code", "the site's code"  # Django's Tasks framework (tasks_app.djtasks)
    OUTSIDE = "outside", "another service"  # recorded by the worker (tasks_app.worker.outside)


class TaskRecord(models.Model):
    """The site's own record of a task it sent.

    django-celery-results writes nothing until a worker reports, and stores args as Python
    repr; this row exists from the moment of sending, with the real JSON args, so a status
    page can say QUEUED at once and a retry can resend exactly what was sent.
    """

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=200)
    # Set when a periodic task's "run now" sent it; beat's own runs are found by their result rows.
    periodic_task_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who started it (None: local mode, beat, or the CLI). Only they and staff may see it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_index=False,  # taskrecord_owner_page leads with it
    )
    # The worker's state, mirrored from the result table (tasks_app.signals) so that the tasks
    # list filters on it by index. QUEUED until a worker reports. Status pages read the result row.
    state = models.CharField(max_length=50, default=QUEUED)
    # The task this one re-ran (services.retry). Keyed by task id, so that the status page reads
    # the original's id without a join.
    retry_of = models.ForeignKey(
        "self", to_field="task_id", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # Set when a revoke could not stop the task (it was running, not terminated): this run finishes
    # and shows its real outcome, and the worker's check (worker.revocation) never runs it again.
    revoke_requested_at = models.DateTimeField(null=True, blank=True)
    # A periodic task's run sent by a person ("Run now"), not by beat on its schedule. A database
    # default too, so that rows written in SQL (bulk loads, the benchmarks' seeds) need not name it.
    by_hand = models.BooleanField(default=False, db_default=False)
    # Which way in sent it (SentFrom; empty for records older than the field). A database default
    # too, for rows written in SQL.
    sent_from = models.CharField(max_length=10, choices=SentFrom.choices, blank=True, default="", db_default="")

    objects = RecordManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each index costs every enqueue, so one per way the site reads the table: the tasks list pages
        # by keyset on (created_at, id), newest first, optionally narrowed by one column, each filter
        # with an index already in page order, which also serves lookups on its leading column alone.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="taskrecord_page"),
            models.Index(fields=["owner", "-created_at", "-id"], name="taskrecord_owner_page"),
            models.Index(fields=["task_name", "-created_at", "-id"], name="taskrecord_task_page"),
            models.Index(fields=["queue", "-created_at", "-id"], name="taskrecord_queue_page"),
            models.Index(fields=["state", "-created_at", "-id"], name="taskrecord_state_page"),
            models.Index(fields=["periodic_task_name", "-created_at", "-id"], name="taskrecord_periodic_page"),
            # Workers read the revocations requested since their last look (worker.revocation): a
            # partial index, which holds only those few rows and costs an enqueue nothing.
            models.Index(
                fields=["revoke_requested_at"],
                name="taskrecord_revoke_requested",
                condition=models.Q(revoke_requested_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"

    @classmethod
    def mirror_state(cls, task_id: str, status: str, using=None) -> None:
        """Copy a worker-reported state onto the record of `task_id`, if there is one."""
        cls.objects.using(using).filter(task_id=task_id).exclude(state=status).update(state=status)


class TaskAttempts(models.Model):
    """The runs of one django.tasks task on the workers (tasks_app.djtasks): written as each run
    starts, so a run after a redelivery or a retry knows its attempt number even when the worker
    that ran the one before died, and `get_result` lists every worker and every error, not only
    the last that the result row keeps. Only django.tasks tasks write here: Celery's own do not
    pay for it."""

    task_id = models.CharField(max_length=255, unique=True)
    worker_ids = models.JSONField(default=list)  # one per attempt, in order
    # One per failed attempt: {"exception_class_path": "builtins.ValueError", "traceback": "..."}
    errors = models.JSONField(default=list)
    last_attempted_at = models.DateTimeField()

    def __str__(self):
        return f"{self.task_id}: {len(self.worker_ids)} attempts"


class RunLimit(models.Model):
    """How many runs beat sends of a periodic task (`, N times`) before it disables the task.

    django-celery-beat's PeriodicTask has start and end times (`from`, `until`) but no count;
    beat's entry (tasks_app.beat.entry) compares this with the row's total_run_count.
    """

    periodic_task = models.OneToOneField(PeriodicTask, on_delete=models.CASCADE, related_name="run_limit")
    max_runs = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.periodic_task_id}: {self.max_runs} runs"


class BeatHeartbeat(models.Model):
    """The last time each running beat ticked, so pages can say whether a beat is alive."""

    node = models.CharField(max_length=255, unique=True)  # host and pid of the beat process
    last_tick = models.DateTimeField()
    is_leader = models.BooleanField(default=False)
    # The latest schedule change (django-celery-beat's PeriodicTasks.last_update) the leader has
    # loaded: older than the latest change means it still sends the old schedule.
    schedule_seen_at = models.DateTimeField(null=True, blank=True)
    # The latest periodic task this beat sent: when, and how many seconds past its due time
    # (tasks_app.beat.scheduler.reserve); /metrics shows them.
    last_send_at = models.DateTimeField(null=True, blank=True)
    last_send_lateness = models.FloatField(null=True, blank=True)

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


class ApiToken(models.Model):
    """A user's key to the API, issued and revoked (deleted) by an admin.

    Only a hash is stored: the key is shown once, when it is issued, and a leaked database
    leaks no usable key.
    """

    PREFIX = "hw_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'deploy script'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The key's first characters.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"{self.name} ({self.hint}…) for {self.user}"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def issue(self) -> str:
        """Give this token a new random key; returns the key (the only time it is known)."""
        key = self.PREFIX + secrets.token_urlsafe(30)
        self.key_hash = self.hash(key)
        self.hint = key[:8]
        return key


class WindowCount(models.Model):
    """How many times something happened under one key in one fixed window of time (tasks_app.counters):
    a user's tasks sent or periodic tasks created in a minute (tasks_app.ratelimit), failed logins per
    account and address or per address in a few minutes (tasks_app.login_throttle, whose keys are
    hashes: no user names or addresses here)."""

    key = models.CharField(max_length=64)
    # The window's end, not its start: windows of different lengths share the table, and the rows
    # whose windows have ended are then one range of the unique index, which the sweep deletes.
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["window_end", "key"], name="windowcount_unique")]

    def __str__(self):
        return f"{self.key[:16]} x{self.count} until {self.window_end:%H:%M:%S}"


class WorkerSeen(models.Model):
    """A worker as it last answered the dashboard's inspect broadcast.

    Remote control only hears from workers that are alive; kept here, one that stops answering
    is shown as gone (since its last answer) for a while instead of vanishing without a trace,
    and is forgotten after that (tasks_app.broker.workers.FORGET_AFTER).
    """

    name = models.CharField(max_length=255, unique=True)  # Celery's node name, e.g. worker.1@host
    queues = models.JSONField(default=list)
    concurrency = models.PositiveIntegerField(null=True, blank=True)
    running = models.PositiveIntegerField(default=0)
    processed = models.PositiveBigIntegerField(default=0)  # tasks done since the worker started
    started_at = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class StoredTaskResult(TaskResult):
    """django-celery-results' result row, as the site's results backend writes it (managers.ResultWriter)."""

    objects = ResultWriter()

    class Meta:
        proxy = True


class MonitorSnapshot(models.Model):
    """What the broker and the workers last said, shared by every web process (tasks_app.selectors.monitoring)."""

    name = models.CharField(max_length=50, unique=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict)
    # A refresh under way claims the row until then; one that died is taken over after it.
    refreshing_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} as of {self.taken_at}"


class FailureDismissal(models.Model):
    """A group of failures (tasks_app.selectors.failures) someone dismissed: kept, and hidden from the
    failures page until a failure of the group arrives after `dismissed_at`. Keyed by the group's key
    (task, exception class, normalised message) through `group_id`, its stable hash, which the key's
    three parts are kept beside for people to read."""

    group_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=255)
    exception = models.CharField(max_length=255)
    message = models.TextField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.task_name} {self.exception} dismissed at {self.dismissed_at:%Y-%m-%d %H:%M:%S}"


class WorkerAction(models.Model):
    """One remote-control command a person sent a worker (tasks_app.services.worker_control) and what
    the worker answered: the record of who grew, shrank, rate-limited, re-routed or stopped which worker."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.CharField(max_length=150)  # a username, or "the local user" (local mode)
    worker = models.CharField(max_length=255, db_index=True)  # Celery's node name
    action = models.CharField(max_length=32)  # a Celery control command: pool_grow, shutdown, ...
    arguments = models.JSONField(default=dict)
    outcome = models.CharField(max_length=16)  # ok, error or no reply
    reply = models.TextField(blank=True)  # the worker's own words, or why there were none

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.by}: {self.action} on {self.worker} ({self.outcome})"
