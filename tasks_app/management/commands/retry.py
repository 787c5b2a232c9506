"""`manage.py retry ID`: run a finished task again, exactly as it was sent (prints the new id).
`manage.py retry --all-failed [filters]`: every failed task the filters select, not retried yet."""

from django.core.management.base import BaseCommand, CommandError

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import add_filter_arguments, command_error, selected
from tasks_app.management.commands.enqueue import wait


class Command(BaseCommand):
    help = (
        "Send a finished task again with its exact args, kwargs and queue; prints the new task's id. "
        "With --all-failed, every failed task the filters select (at most BULK_ACTION_MAX_TASKS a run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task_id", nargs="?")
        parser.add_argument(
            "--wait", action="store_true", help="then wait, and print its result (JSON); exit 1 if it fails"
        )
        parser.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")
        parser.add_argument("--all-failed", action="store_true", help="retry every failed task the filters select")
        add_filter_arguments(parser)

    def handle(self, *args, task_id, **options):
        if options["all_failed"] == bool(task_id):
            raise CommandError("Give a task id, or --all-failed (with filters such as --task fetch_url), not both.")
        try:
            if options["all_failed"]:
                if options["wait"]:
                    raise CommandError("--wait waits for one task; --all-failed sends many.")
                done = services.retry_failed(selected(options), sent_from=services.SentFrom.CLI)
                for new_id in done.task_ids:
                    self.stdout.write(new_id)
                self.stdout.write("\n".join(done.summary("Retried", "failed")))
                return
            record = services.retry(task_id, sent_from=services.SentFrom.CLI)
        except UserError as exc:
            raise command_error(exc) from None
        self.stdout.write(record.task_id)
        if options["wait"]:
            wait(self, record.task_id, options["timeout"])
