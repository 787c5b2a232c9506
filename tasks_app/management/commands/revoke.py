"""`manage.py revoke ID [--terminate]`: a queued task never runs; a running one is killed only when asked."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tasks_app import services
from tasks_app.management.commands._common import HANDLED, command_error


class Command(BaseCommand):
    help = "Revoke a queued or running task. --terminate also kills it if it is running."

    def add_arguments(self, parser):
        parser.add_argument("task_id")
        parser.add_argument(
            "--terminate",
            action="store_true",
            help=f"kill the pool process running it ({settings.TASK_TERMINATE_SIGNAL})",
        )

    def handle(self, *args, task_id, **options):
        try:
            revocation = services.revoke(task_id, terminate=options["terminate"])
        except HANDLED as exc:
            raise command_error(exc) from None
        done = "Revoked and terminated" if revocation.terminate else "Revoked"
        self.stdout.write(f"{done} {revocation.task_id} (it was {revocation.previous_state}).")
        if not revocation.workers_told:
            self.stderr.write("The broker was unreachable, so no worker was told; the task will still not run.")
