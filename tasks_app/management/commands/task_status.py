"""`manage.py task_status ID`: what the status page and `GET /api/tasks/<id>/` say, as JSON (its
`timeline` included); with `--timeline`, only the task's history, one event a line."""

from django.core.management.base import BaseCommand, CommandError

from tasks_app import services, validation
from tasks_app.errors import UserError
from tasks_app.management.commands._common import describe
from tasks_app.selectors import status


class Command(BaseCommand):
    help = "Print a task's state, arguments, result or error as JSON."

    def add_arguments(self, parser):
        parser.add_argument("task_id")
        parser.add_argument(
            "--timeline",
            action="store_true",
            help="print only the task's history: each event's time, the gap since the one before, what happened",
        )

    def handle(self, *args, task_id, timeline=False, **options):
        try:
            validation.check_text(task_id, "id", "The task id", max_chars=255)
        except UserError:
            found = None
        else:
            found = status.get(task_id)
        if found is None:
            raise CommandError(services.TaskNotFound(task_id).message)
        if timeline:
            self.stdout.write(f"{found.task_name} {found.task_id}: {found.state}")
            for event in found.timeline:
                self.stdout.write(event.as_text())
            return
        self.stdout.write(describe(found))
