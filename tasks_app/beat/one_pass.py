"""One pass of beat, for a deployment without a beat process: a scheduler add-on (Heroku Scheduler,
cron) runs `manage.py send_due_tasks` every 10 minutes, hourly or daily.

The pass is beat's own scheduler (beat.scheduler) ticked until nothing more is due: every enabled
periodic task that is due is sent once, however many runs it missed while nothing ran (as beat
does after downtime), its last run is written, and a one-off or a schedule that has ended is
disabled as beat would. It sends only while it holds beat's lease, renewed as it goes: beside a
running beat, or another pass, it sends nothing, so no run is ever sent twice.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field

from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler

from tasks_app.beat import lease
from tasks_app.beat.scheduler import CHECK_EVERY_SECONDS, DatabaseScheduler


@dataclass(frozen=True)
class Sent:
    name: str  # the periodic task
    task: str  # the Celery task it sends
    task_id: str


@dataclass
class Pass:
    led: bool  # False: another beat or pass held the lease, and this one sent nothing
    holder: str = ""  # who held it then
    enabled: int = 0  # enabled periodic tasks looked at
    sent: list[Sent] = field(default_factory=list)


class OnePass(DatabaseScheduler):
    """Beat's scheduler for one pass: it records no heartbeat (no beat runs) and lists what it sent."""

    def __init__(self, *args, **kwargs):
        self.sent: list[Sent] = []
        super().__init__(*args, **kwargs)
        self.node = f"send_due_tasks@{os.environ.get('DYNO') or socket.gethostname()}:{os.getpid()}"

    def apply_async(self, entry, *args, **kwargs):
        result = super().apply_async(entry, *args, **kwargs)
        self.sent.append(Sent(entry.name, entry.task, result.id))
        return result

    def run(self) -> Pass:
        if not lease.acquire(self.node):
            current = lease.leader()
            return Pass(led=False, holder=current.holder if current else "another beat")
        self.leading = True
        try:
            self._initial_read = True  # every row afresh, last runs included
            enabled = len(self.schedule)
            renewed = time.monotonic()
            # Celery's tick sends one due entry and answers 0, or answers how long until the next.
            while BaseDatabaseScheduler.tick(self) == 0:
                if time.monotonic() - renewed >= CHECK_EVERY_SECONDS:
                    if not lease.acquire(self.node):
                        break  # the lease was lost (a very long pass): stop rather than risk a double send
                    renewed = time.monotonic()
            self.sync()
        finally:
            self.close()  # syncs, and gives the lease up at once
        return Pass(led=True, enabled=enabled, sent=list(self.sent))
