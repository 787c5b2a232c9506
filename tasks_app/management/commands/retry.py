"""`manage.py retry ID`: run a finished task again, exactly as it was sent (prints the new id)."""

from django.core.management.base import BaseCommand

from tasks_app import services
from tasks_app.management.commands._common import HANDLED, command_error
from tasks_app.management.commands.enqueue import wait


class Command(BaseCommand):
    help = "Send a finished task again with its exact args, kwargs and queue; prints the new task's id."

    def add_arguments(self, parser):
        parser.add_argument("task_id")
        parser.add_argument("--wait", action="store_true", help="wait for the result; exit 1 if the task fails")
        parser.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")

    def handle(self, *args, task_id, **options):
        try:
            record = services.retry(task_id)
        except HANDLED as exc:
            raise command_error(exc) from None
        self.stdout.write(record.task_id)
        if options["wait"]:
            wait(self, record.task_id, options["timeout"])
