"""`manage.py task_status ID`: what the status page and `GET /api/tasks/<id>/` say, as JSON."""

from django.core.management.base import BaseCommand, CommandError

from tasks_app import services, validation
from tasks_app.errors import UserError
from tasks_app.management.commands._common import describe
from tasks_app.selectors import status


class Command(BaseCommand):
    help = "Print a task's state, arguments, result or error as JSON."

    def add_arguments(self, parser):
        parser.add_argument("task_id")

    def handle(self, *args, task_id, **options):
        try:
            validation.check_text(task_id, "id", "The task id", max_chars=255)
        except UserError:
            found = None
        else:
            found = status.get(task_id)
        if found is None:
            raise CommandError(services.TaskNotFound(task_id).message)
        self.stdout.write(describe(found))
