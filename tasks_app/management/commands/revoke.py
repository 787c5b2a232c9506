"""`manage.py revoke ID [--terminate]`: a queued task never runs; a running one is killed only when asked.
`manage.py revoke --all [filters]`: every queued or running task the filters select."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks_app import services
from tasks_app.errors import UserError
from tasks_app.management.commands._common import add_filter_arguments, command_error, selected


class Command(BaseCommand):
    help = (
        "Revoke a queued or running task. --terminate also kills it if it is running. With --all, every "
        "queued or running task the filters select (at most BULK_ACTION_MAX_TASKS a run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task_id", nargs="?")
        parser.add_argument(
            "--terminate",
            action="store_true",
            help=f"kill the pool process running it ({settings.TASK_TERMINATE_SIGNAL})",
        )
        parser.add_argument("--all", action="store_true", help="revoke every queued or running task the filters select")
        add_filter_arguments(parser)

    def handle(self, *args, task_id, **options):
        if options["all"] == bool(task_id):
            raise CommandError("Give a task id, or --all (with filters such as --queue low), not both.")
        try:
            if options["all"]:
                done = services.revoke_unfinished(selected(options), terminate=options["terminate"])
                self.stdout.write("\n".join(done.summary("Revoked", "queued or running")))
                return
            revocation = services.revoke(task_id, terminate=options["terminate"])
        except UserError as exc:
            raise command_error(exc) from None
        self.stdout.write(f"{revocation.task_id} was {revocation.previous_state}. {revocation.summary}")
        if revocation.requested_only:
            self.stdout.write(f"To stop it now: manage.py revoke {revocation.task_id} --terminate")
        if not revocation.workers_told:
            self.stderr.write("The broker was unreachable, so no worker was told; the task will still not run.")
