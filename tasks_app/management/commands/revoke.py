"""`manage.py revoke ID [ID ...] [--terminate]`: a queued task never runs; a running one is killed only when asked.
`manage.py revoke --all [filters]`: every queued or running task the filters select."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import add_filter_arguments, command_error, each_task, selected


class Command(BaseCommand):
    help = (
        "Revoke a queued or running task. --terminate also kills it if it is running. With --all, every "
        "queued or running task the filters select (at most BULK_ACTION_MAX_TASKS a run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task_ids", nargs="*", metavar="task_id")
        parser.add_argument(
            "--terminate",
            action="store_true",
            help=f"kill the pool process running it ({settings.TASK_TERMINATE_SIGNAL})",
        )
        parser.add_argument("--all", action="store_true", help="revoke every queued or running task the filters select")
        add_filter_arguments(parser)

    def handle(self, *args, task_ids, **options):
        if options["all"] == bool(task_ids):
            raise CommandError("Give a task id, or --all (with filters such as --queue low), not both.")
        if options["all"]:
            try:
                done = services.revoke_unfinished(selected(options), terminate=options["terminate"])
            except UserError as exc:
                raise command_error(exc) from None
            self.stdout.write("\n".join(done.summary("Revoked", "queued or running")))
            return
        failed = each_task(self, task_ids, lambda task_id: self.revoke_one(task_id, options["terminate"]))
        if failed:
            raise CommandError(f"{failed} of {len(task_ids)} tasks could not be revoked.")

    def revoke_one(self, task_id: str, terminate: bool) -> None:
        revocation = services.revoke(task_id, terminate=terminate)
        self.stdout.write(f"{revocation.task_id} was {revocation.previous_state}. {revocation.summary}")
        if revocation.requested_only:
            self.stdout.write(f"To stop it now: manage.py revoke {revocation.task_id} --terminate")
        if not revocation.workers_told:
            self.stderr.write("The broker was unreachable, so no worker was told; the task will still not run.")
