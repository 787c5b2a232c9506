"""`manage.py retry ID [ID ...]`: run finished tasks again, exactly as they were sent (prints each new id).
`manage.py retry --all-failed [filters]`: every failed task the filters select, not retried yet."""

from django.core.management.base import BaseCommand, CommandError

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import add_filter_arguments, command_error, each_task, selected
from tasks_app.management.commands.enqueue import wait


class Command(BaseCommand):
    help = (
        "Send a finished task again with its exact args, kwargs and queue; prints the new task's id. "
        "With --all-failed, every failed task the filters select (at most BULK_ACTION_MAX_TASKS a run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task_ids", nargs="*", metavar="task_id")
        parser.add_argument(
            "--wait", action="store_true", help="then wait, and print its result (JSON); exit 1 if it fails"
        )
        parser.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")
        parser.add_argument("--all-failed", action="store_true", help="retry every failed task the filters select")
        add_filter_arguments(parser)

    def handle(self, *args, task_ids, **options):
        if options["all_failed"] == bool(task_ids):
            raise CommandError("Give a task id, or --all-failed (with filters such as --task fetch_url), not both.")
        if options["wait"] and len(task_ids) != 1:
            raise CommandError("--wait waits for one task; --all-failed and several ids send many.")
        try:
            if options["all_failed"]:
                done = services.retry_failed(selected(options), sent_from=services.SentFrom.CLI)
                for new_id in done.task_ids:
                    self.stdout.write(new_id)
                self.stdout.write("\n".join(done.summary("Retried", "failed")))
                return
        except UserError as exc:
            raise command_error(exc) from None
        sent = []

        def retry_one(task_id):
            sent.append(services.retry(task_id, sent_from=services.SentFrom.CLI).task_id)
            self.stdout.write(sent[-1])

        failed = each_task(self, task_ids, retry_one)
        if options["wait"] and sent:
            wait(self, sent[0], options["timeout"])
        if failed:
            raise CommandError(f"{failed} of {len(task_ids)} tasks could not be retried.")
